// Who is logged in: the JWT pair, login, sign-up, logout and the silent refresh.
//
// Tokens live in localStorage, not sessionStorage: a member stays logged in across tabs and
// browser restarts, as people expect from a chat app, and every tab shares one rotating refresh
// token (the API revokes a refresh token once it is used, so tabs with copies of their own would
// log each other out). The price is that a script running on this origin could read them; the
// strict Content-Security-Policy in index.html and the sanitizer in markdown.js are what keep any
// such script out. (httpOnly cookies would need the API to set cookies; it speaks Bearer only.)

import { ApiError, apiUrl, send } from "./http.js";

const KEY = "chatbot.tokens";
const events = new EventTarget();

function load() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) || "null");
    return value && typeof value.access === "string" && typeof value.refresh === "string"
      ? value
      : null;
  } catch {
    return null;
  }
}

function store(tokens) {
  if (tokens) localStorage.setItem(KEY, JSON.stringify(tokens));
  else localStorage.removeItem(KEY);
}

export function tokens() {
  return load();
}

export function isLoggedIn() {
  return load() !== null;
}

/** "login" | "logout" | "expired" — main.js redraws the shell and routes on these. */
export function onAuthChange(listener) {
  events.addEventListener("change", (event) => listener(event.detail));
}

function announce(reason) {
  events.dispatchEvent(new CustomEvent("change", { detail: reason }));
}

// Another tab logged in or out: follow it, so no tab keeps acting on a dead session.
window.addEventListener("storage", (event) => {
  if (event.key !== KEY) return;
  const was = event.oldValue !== null;
  const is = event.newValue !== null;
  if (was !== is) announce(is ? "login" : "logout");
});

export async function logIn(email, password) {
  const response = await send("/api/auth/login/", {
    method: "POST",
    body: { email, password },
  });
  const pair = await response.json();
  store({ access: pair.access, refresh: pair.refresh });
  announce("login");
}

/** Where "Continue with GitHub" (or Kakao) goes: the API's start page for that provider, which
 * sends the browser on to the provider and, once the person approves, back to #/login with a
 * one-time code. `next` is the page to return to afterwards. */
export function providerLoginUrl(provider, next) {
  const query = next && next !== "/" ? `?next=${encodeURIComponent(next)}` : "";
  return apiUrl(`/api/auth/oauth/${encodeURIComponent(provider)}/start/${query}`);
}

/** Trade the one-time code a provider login left in the address for the usual JWT pair. */
export async function logInWithCode(code) {
  const response = await send("/api/auth/oauth/exchange/", { method: "POST", body: { code } });
  const pair = await response.json();
  store({ access: pair.access, refresh: pair.refresh });
  announce("login");
}

export async function signUp(fields) {
  await send("/api/auth/signup/", { method: "POST", body: fields });
  await logIn(fields.email, fields.password);
}

export async function logOut() {
  const current = load();
  store(null);
  announce("logout");
  if (!current) return;
  try {
    // Revoke the refresh token so a copy of it is worthless. Locally the member is logged out
    // whatever the answer is; an expired access token just means the refresh token dies alone.
    await send("/api/auth/logout/", {
      method: "POST",
      body: { refresh: current.refresh },
      headers: { Authorization: `Bearer ${current.access}` },
    });
  } catch {
    // Nothing to tell the member: they asked to leave and they have left.
  }
}

/** Keep a pair the API handed out for this device (a changed password): the old refresh token
 * is revoked. Nothing is announced: the same member stays logged in. */
export function adopt(pair) {
  store({ access: pair.access, refresh: pair.refresh });
}

/** The server ended this login already (logged out everywhere, account deleted): forget it
 * here too, without asking the API to revoke a token that is gone. */
export function forget() {
  if (!load()) return;
  store(null);
  announce("logout");
}

/** The session is over (refresh token expired or revoked): forget it and say so once. */
export function expire() {
  if (!load()) return;
  store(null);
  announce("expired");
}

let refreshing = null;

/**
 * Trade the refresh token for a new pair. Concurrent callers share one request, and tabs take
 * turns through a Web Lock where the browser has them: if another tab rotated the token while we
 * waited, its new pair is used instead of spending the revoked one. Resolves to true when there
 * is a fresh access token, false when the session is over; throws NetworkError when the API
 * cannot be reached (the session may still be fine).
 */
export function refresh(staleAccess) {
  refreshing ??= withLock(() => rotate(staleAccess)).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function withLock(task) {
  return navigator.locks ? navigator.locks.request("chatbot.refresh", task) : task();
}

async function rotate(staleAccess) {
  const current = load();
  if (!current) return false;
  if (current.access !== staleAccess) return true; // another tab already refreshed
  try {
    const response = await send("/api/auth/refresh/", {
      method: "POST",
      body: { refresh: current.refresh },
    });
    const pair = await response.json();
    // Rotation: the old refresh token is revoked now, so the new one must be kept.
    store({ access: pair.access, refresh: pair.refresh ?? current.refresh });
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
      expire();
      return false;
    }
    throw error;
  }
}
