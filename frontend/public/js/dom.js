// Builds DOM nodes from plain values. Strings always become text nodes, so titles, nicknames and
// questions written by people can never turn into markup. The only HTML this app inserts is the
// sanitized output of markdown.js.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// Stroke icons drawn on a 24-unit grid; decorative (aria-hidden), buttons carry their own labels.
const ICONS = {
  thumbUp: [
    "M7 10v12",
    "M15 5.88 14 10h5.83a2 2 0 0 1 1.92 2.56l-2.33 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 3.13 0 0 1 3 3.88Z",
  ],
  thumbDown: [
    "M17 14V2",
    "M9 18.12 10 14H4.17a2 2 0 0 1-1.92-2.56l2.33-8A2 2 0 0 1 6.5 2H20a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-2.76a2 2 0 0 0-1.79 1.11L12 22a3.13 3.13 0 0 1-3-3.88Z",
  ],
  menu: ["M4 6h16", "M4 12h16", "M4 18h16"],
  close: ["M6 6l12 12", "M18 6L6 18"],
  plus: ["M12 5v14", "M5 12h14"],
  send: ["M5 12h13", "M12 5l7 7-7 7"],
  stop: ["M7 7h10v10H7z"],
  trash: ["M4 7h16", "M9 7V4h6v3", "M6 7l1 13h10l1-13", "M10 11v6", "M14 11v6"],
  copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
  share: ["M5 12v7h14v-7", "M12 3v12", "M8 7l4-4 4 4"],
  check: ["M5 12l5 5 9-10"],
  download: ["M12 4v11", "M7 10l5 5 5-5", "M5 20h14"],
  logout: ["M15 4h4v16h-4", "M10 8l-4 4 4 4", "M6 12h10"],
  globe: [
    "M12 3a9 9 0 100 18 9 9 0 000-18z",
    "M3 12h18",
    "M12 3c3 3.5 3 14.5 0 18",
    "M12 3c-3 3.5-3 14.5 0 18",
  ],
  chat: ["M4 5h16v11H9l-5 4z"],
  feed: ["M5 5h14", "M5 10h14", "M5 15h9", "M5 20h6"],
  bolt: ["M13 3L5 14h6l-1 7 8-11h-6z"],
  alert: ["M12 4l9 16H3z", "M12 10v4", "M12 17v.5"],
  settings: [
    "M12 9a3 3 0 100 6 3 3 0 000-6z",
    "M12 2v3",
    "M12 19v3",
    "M2 12h3",
    "M19 12h3",
    "M4.9 4.9l2.1 2.1",
    "M17 17l2.1 2.1",
    "M4.9 19.1L7 17",
    "M17 7l2.1-2.1",
  ],
};

export function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

let headingFocus = false;

/** Whether the next page's heading may take the focus: only after a link the member followed.
 * Loading, reloading, going back or being redirected leaves focus at the top of the document,
 * so Tab reaches the skip link, the header and the sidebar first (main.js decides). */
export function allowHeadingFocus(allowed) {
  headingFocus = allowed;
}

/** Move keyboard and screen-reader focus to `el` after a view change, without scrolling away. */
export function focusView(el) {
  if (!el || (el.tagName === "H1" && !headingFocus)) return;
  if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus({ preventScroll: true });
}
