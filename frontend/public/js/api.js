// The backend's public API, one function per endpoint (see README.md, "API"). Calls that need a
// member carry the access token; an expired one is refreshed silently, once.

import * as auth from "./auth.js";
import { ApiError, readJson, send } from "./http.js";
import { readEvents } from "./sse.js";

export const PAGE_SIZE = 20;

/** The session is over and could not be renewed: the member has to log in again. */
export class SessionExpired extends Error {
  constructor() {
    super("session expired");
    this.name = "SessionExpired";
  }
}

const STALE_TOKEN = new Set(["token_not_valid", "not_authenticated", "authentication_failed"]);

function isStaleToken(error) {
  return error instanceof ApiError && error.status === 401 && STALE_TOKEN.has(error.code);
}

function withToken(options, access) {
  return { ...options, headers: { ...options.headers, Authorization: `Bearer ${access}` } };
}

async function authed(path, options = {}) {
  const current = auth.tokens();
  if (!current) {
    auth.expire();
    throw new SessionExpired();
  }
  try {
    return await send(path, withToken(options, current.access));
  } catch (error) {
    if (!isStaleToken(error)) throw error;
  }
  if (!(await auth.refresh(current.access))) throw new SessionExpired();
  const renewed = auth.tokens();
  if (!renewed) throw new SessionExpired();
  try {
    return await send(path, withToken(options, renewed.access));
  } catch (error) {
    // Once only: a brand-new token that is refused means the session is really over.
    if (isStaleToken(error)) {
      auth.expire();
      throw new SessionExpired();
    }
    throw error;
  }
}

async function json(response) {
  return readJson(response);
}

/** The path and query of a `next` link: the API builds absolute URLs, which may name a host
 * (behind a proxy, say) other than the configured apiBase. */
function pathOf(link) {
  const url = new URL(link, "http://placeholder.invalid");
  return `${url.pathname}${url.search}`;
}

export async function feed(next) {
  return json(await send(next ? pathOf(next) : `/api/chats/?page_size=${PAGE_SIZE}`));
}

/** Public chats holding every word of `q`, each with `snippet` and `highlights`. */
export async function searchChats(q, next) {
  const query = `page_size=${PAGE_SIZE}&q=${encodeURIComponent(q)}`;
  return json(await send(next ? pathOf(next) : `/api/chats/?${query}`));
}

export async function myChats(next) {
  return json(await authed(next ? pathOf(next) : `/api/me/chats/?page_size=${PAGE_SIZE}`));
}

export async function chat(id) {
  const path = `/api/chats/${encodeURIComponent(id)}/`;
  // With the token when logged in: an anonymous chat names its author to its owner alone.
  return json(await (auth.tokens() ? authed(path) : send(path)));
}

export async function intake() {
  return json(await send("/api/chats/intake/"));
}

/** The models a new chat may use: { default, models: [{ id }] }. */
export async function models() {
  return json(await send("/api/models/"));
}

/** The login providers this server offers: { providers: ["github", "kakao"] }. */
export async function loginProviders() {
  return json(await send("/api/auth/oauth/providers/"));
}

/** Start connecting a provider to the logged-in member: { url } to send the browser to. With
 * credentials, so that the browser keeps the cookie the answer sets: the callback completes the
 * link only in this browser. It comes back to `#/settings?linked=<provider>` or
 * `#/settings?oauth_error=<code>`. */
export async function startProviderLink(provider) {
  const path = `/api/me/oauth/${encodeURIComponent(provider)}/link/`;
  return json(await authed(path, { method: "POST", credentials: "include" }));
}

export async function me() {
  return json(await authed("/api/me/"));
}

/** A mailed verification link's token: resolves once the email counts as verified; a used,
 * expired or forged token throws ApiError `token_invalid`. */
export async function verifyEmail(token) {
  await send("/api/auth/email/verify/", { method: "POST", body: { token } });
}

/** Mail the verification link again (202; throttled per member). */
export async function resendVerification() {
  await authed("/api/me/email/verification/", { method: "POST", body: {} });
}

/** Agree to the terms and privacy policy in force and state being 14 or older (204); `invalid`
 * with errors.accept_terms / errors.over_14 when one is not true. */
export async function giveConsent(consents) {
  await authed("/api/me/consent/", { method: "POST", body: consents });
}

/** Ask for a reset link: the same 202 whether or not a member has the address. */
export async function requestPasswordReset(email) {
  await send("/api/auth/password/reset/", { method: "POST", body: { email } });
}

/** A reset link's token and the new password: 204, or `token_invalid`, or `invalid` with
 * errors.password. */
export async function confirmPasswordReset(token, password) {
  await send("/api/auth/password/reset/confirm/", { method: "POST", body: { token, password } });
}

/** Show a chat with (false) or without (true) its owner's nickname; the chat comes back. */
export async function setChatAnonymous(id, anonymous) {
  const path = `/api/chats/${encodeURIComponent(id)}/`;
  return json(await authed(path, { method: "PATCH", body: { anonymous } }));
}

/** Change nickname, born_year and job: the profile back, or ApiError `invalid` with
 * errors.{field}. */
export async function updateProfile(changes) {
  return json(await authed("/api/me/", { method: "PATCH", body: changes }));
}

/** {access, refresh}: a new pair for this device; every other login of the member ends. */
export async function changePassword(currentPassword, newPassword) {
  const response = await authed("/api/me/password/", {
    method: "POST",
    body: { current_password: currentPassword, new_password: newPassword },
  });
  return json(response);
}

/** End every login of the member, this one's refresh token included. */
export async function logOutEverywhere() {
  await authed("/api/auth/logout/all/", { method: "POST", body: {} });
}

/** Everything kept about the member: the download's Response, to be saved as a file. */
export async function exportData() {
  return authed("/api/me/export/");
}

/** Delete the account: {password}, or {confirm: nickname} for members without a password. */
export async function deleteAccount(confirmation) {
  await authed("/api/me/", { method: "DELETE", body: confirmation });
}

export async function unlinkProvider(provider) {
  await authed(`/api/me/oauth/${encodeURIComponent(provider)}/`, { method: "DELETE" });
}

/** Report someone else's chat to the moderators: 201, or ApiError `already_reported`,
 * `email_unverified`, `own_chat`, `chat_not_found`, `throttled`, `invalid`. */
export async function reportChat(id, reason, detail) {
  const path = `/api/chats/${encodeURIComponent(id)}/reports/`;
  return json(await authed(path, { method: "POST", body: { reason, detail } }));
}

export async function deleteChat(id) {
  await authed(`/api/chats/${encodeURIComponent(id)}/`, { method: "DELETE" });
}

/** Thumbs up (1) or down (-1) on an answer: { my_rating }, or ApiError `not_answered`, `invalid`,
 * `chat_not_found`. A second rating replaces the first. */
export async function rateAnswer(chatId, turnId, rating) {
  const path = `/api/chats/${encodeURIComponent(chatId)}/turns/${encodeURIComponent(turnId)}/feedback/`;
  return json(await authed(path, { method: "POST", body: { rating } }));
}

/** Take one's rating of an answer back (204, also when there was none). */
export async function unrateAnswer(chatId, turnId) {
  const path = `/api/chats/${encodeURIComponent(chatId)}/turns/${encodeURIComponent(turnId)}/feedback/`;
  await authed(path, { method: "DELETE" });
}

/** The member's usage receipts of the last `days` days (1 to 90): { today, days: [...] }. */
export async function usage(days = 30) {
  return json(await authed(`/api/me/usage/?days=${encodeURIComponent(days)}`));
}

export async function stopTurn(chatId, turnId) {
  await authed(`/api/chats/${chatId}/turns/${turnId}/stop/`, { method: "POST", body: {} });
}

/** Start a chat from the intake answers; see `ask` for the handlers and the result. */
export function startChat(answers, handlers) {
  return ask("/api/chats/", answers, handlers);
}

/** A follow-up message in one of the member's chats. */
export function sendMessage(chatId, content, handlers) {
  return ask(`/api/chats/${encodeURIComponent(chatId)}/messages/`, { content }, handlers);
}

/**
 * POST a question and follow the answer as it is generated.
 *
 * The request asks for Server-Sent Events and accepts JSON too: a server that streams answers
 * `chat` (ids), `delta` (a piece of text) ... then `done` (the stored turn) or `error`; a server
 * that does not stream answers 201 with the whole result at once. Resolves to
 * { streamed, result }: the stored turn when streamed, the response body (a chat or a turn)
 * when not. Throws ApiError (with the API's `code`) for errors in either form.
 */
async function ask(path, body, { onChat, onDelta, signal } = {}) {
  const response = await authed(path, {
    method: "POST",
    body,
    signal,
    accept: "text/event-stream, application/json;q=0.9",
  });
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("text/event-stream")) {
    return { streamed: false, result: await response.json() };
  }
  try {
    for await (const { event, data } of readEvents(response.body, signal)) {
      const payload = parse(data);
      if (event === "chat") onChat?.(payload);
      else if (event === "delta") onDelta?.(String(payload?.text ?? ""));
      else if (event === "done") return { streamed: true, result: payload };
      else if (event === "error") throw new ApiError(0, payload);
    }
  } catch (error) {
    if (error instanceof ApiError || error?.name === "AbortError") throw error;
    if (signal?.aborted) throw new DOMException("aborted", "AbortError");
    throw new ApiError(0, { code: "stream_cut" });
  }
  if (signal?.aborted) throw new DOMException("aborted", "AbortError");
  throw new ApiError(0, { code: "stream_cut" }); // the connection ended before `done`
}

/**
 * Follow a turn's answer from wherever it is being written (GET .../stream/): `onDelta` gets the
 * text so far, then each piece; resolves to the stored turn. Throws ApiError `stream_cut` when
 * the connection ends first (follow again), other ApiErrors as the API says.
 */
export async function followTurn(chatId, turnId, { onDelta, signal } = {}) {
  const path = `/api/chats/${encodeURIComponent(chatId)}/turns/${encodeURIComponent(turnId)}/stream/`;
  const init = { signal, accept: "text/event-stream" };
  const response = await (auth.tokens() ? authed(path, init) : send(path, init));
  try {
    for await (const { event, data } of readEvents(response.body, signal)) {
      const payload = parse(data);
      if (event === "delta") onDelta?.(String(payload?.text ?? ""));
      else if (event === "done") return payload;
      else if (event === "error") throw new ApiError(0, payload);
    }
  } catch (error) {
    if (error instanceof ApiError || error?.name === "AbortError") throw error;
  }
  if (signal?.aborted) throw new DOMException("aborted", "AbortError");
  throw new ApiError(0, { code: "stream_cut" });
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}
