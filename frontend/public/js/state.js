// What several parts of the page show at once: the member's profile with today's quota (header,
// composer) and whether their list of chats changed (sidebar).

import * as api from "./api.js";

const events = new EventTarget();
let profile = null;
let resetTimer = null;

export function currentProfile() {
  return profile;
}

/** Call `listener` with the profile whenever it changes, until `signal` aborts (the view that
 * listens is gone). */
export function onProfile(listener, signal) {
  events.addEventListener("profile", () => listener(profile), { signal });
}

export function onChatsChanged(listener, signal) {
  events.addEventListener("chats", () => listener(), { signal });
}

export function chatsChanged() {
  events.dispatchEvent(new Event("chats"));
}

function publish(next) {
  profile = next;
  clearTimeout(resetTimer);
  // When the allowance is used up, look again just after it comes back, so the composer opens
  // by itself for someone who left the tab open past midnight.
  const quota = profile?.quota;
  if (quota && quota.remaining <= 0 && quota.resets_at) {
    const wait = new Date(quota.resets_at).getTime() - Date.now() + 1000;
    if (wait > 0 && wait < 2 ** 31 - 1) resetTimer = setTimeout(() => loadProfile(), wait);
  }
  events.dispatchEvent(new Event("profile"));
}

let loading = null;

/** Fetch the profile and today's quota; callers at the same moment share one request. */
export function loadProfile() {
  loading ??= api
    .me()
    .then(publish)
    .catch((error) => {
      if (!(error instanceof api.SessionExpired)) throw error; // main.js handles an expired one
    })
    .finally(() => {
      loading = null;
    });
  return loading;
}

export function forgetProfile() {
  publish(null);
}

/** A 429 said the allowance is gone (used up in another tab, say): show it at once. */
export function quotaExhausted(body) {
  if (!profile) return;
  const limit = body.limit ?? profile.quota.limit;
  publish({
    ...profile,
    quota: { ...profile.quota, limit, used: limit, remaining: 0, resets_at: body.resets_at },
  });
}
