// The one place that talks to the network. It knows where the API is (config.js) and turns every
// failure into one of two errors the views can explain: ApiError (the API answered with an error
// body) or NetworkError (no answer at all: offline, server down, CORS refused).

import config from "../config.js";
import { language } from "./i18n.js";

const API_BASE = String(config.apiBase ?? "").replace(/\/+$/, "");

export function apiUrl(path) {
  return `${API_BASE}${path}`;
}

/** The API's origin, for messages about a misconfigured deployment. */
export function apiOrigin() {
  return new URL(apiUrl("/"), location.href).origin;
}

export class ApiError extends Error {
  constructor(status, body, headers) {
    super(body?.detail || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = body?.code || "unknown";
    this.body = body ?? {};
    this.retryAfter = headers?.get("Retry-After") ?? null;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super("network");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

/**
 * fetch() with the API's conventions: JSON bodies, the reader's language, and errors thrown as
 * ApiError/NetworkError. Returns the Response of a successful request untouched, so streams can
 * be read by the caller.
 */
export async function send(
  path,
  { method = "GET", body, headers = {}, signal, accept, credentials = "omit" } = {},
) {
  const init = {
    method,
    signal,
    // No cookies: the API authenticates with Bearer tokens only, so credentials stay out of
    // cross-origin requests (and CORS needs no Allow-Credentials). The one exception is starting
    // a provider link, whose answer sets the cookie that ties the link to this browser: the API
    // allows credentials for that path alone.
    credentials,
    headers: {
      Accept: accept ?? "application/json",
      "Accept-Language": language(),
      ...headers,
    },
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new NetworkError(error);
  }
  if (!response.ok) throw new ApiError(response.status, await readJson(response), response.headers);
  return response;
}

/** The JSON body, or null when there is none (204) or it is not JSON (a proxy's HTML page). */
export async function readJson(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}
