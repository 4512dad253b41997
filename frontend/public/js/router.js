// Routes live in the URL's hash (#/chats/12), so the same files work on any static host,
// GitHub Pages included, with no server-side rewrites. A route is a path and a query:
// #/login?next=%2Fnew.

const routes = [];
let onRender = null;

export function route(pattern, view, { auth = false } = {}) {
  routes.push({ pattern, view, auth });
}

export function start(render) {
  onRender = render;
  window.addEventListener("hashchange", () => onRender(resolve()));
  onRender(resolve());
}

/** The current location as { path, query }; "#/chats/3?x=1" → "/chats/3" and x=1. */
export function current() {
  const raw = location.hash.startsWith("#/") ? location.hash.slice(1) : "/";
  const [path, search = ""] = raw.split("?", 2);
  return { path: path || "/", query: new URLSearchParams(search), full: raw };
}

export function resolve() {
  const here = current();
  for (const candidate of routes) {
    const match = here.path.match(candidate.pattern);
    if (match) return { ...candidate, params: match.slice(1), ...here };
  }
  return { view: null, params: [], ...here };
}

export function href(path) {
  return `#${path}`;
}

/** Go to `path`; `replace` keeps the current page out of the history (redirects). */
export function navigate(path, { replace = false } = {}) {
  if (replace) {
    history.replaceState(history.state, "", href(path));
    onRender?.(resolve());
  } else if (location.hash === href(path)) {
    onRender?.(resolve());
  } else {
    location.hash = href(path);
  }
}

/** Change the address without drawing the page again (a new chat got its id mid-answer). */
export function rewrite(path) {
  history.replaceState(history.state, "", href(path));
}

/**
 * Where to go after logging in. Only a path inside this app counts: "/chats/3" yes;
 * "https://evil.example", "//evil.example", "/\\evil.example" or "javascript:..." no (the main
 * page instead), and never back to the login or sign-up page itself.
 */
export function safeNext(next) {
  if (typeof next !== "string" || !/^\/(?![/\\])[\w\-/?=&%.]*$/.test(next)) return "/";
  if (/^\/(login|signup)(\/|\?|$)/.test(next)) return "/";
  return next;
}

export function loginPath(next) {
  const target = safeNext(next);
  return target === "/" ? "/login" : `/login?next=${encodeURIComponent(target)}`;
}
