// Search over the feed: a box that searches as the reader types (after a pause, never while a
// Korean IME is still composing a syllable), results with the matched words marked, and the
// query in the address (#/?q=...) so that a search can be reloaded and shared.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { href, rewrite } from "./router.js";

export const DEBOUNCE_MS = 300;

/**
 * `text` with the [start, end) ranges of `highlights` in <mark>: built as DOM nodes, never as
 * HTML, so nothing in the server's text is ever markup. The ranges count Unicode code points,
 * which JavaScript strings do not (a character outside the BMP is two code units).
 */
export function marked(text, highlights) {
  const points = Array.from(text);
  const nodes = [];
  let at = 0;
  for (const [start, end] of highlights ?? []) {
    if (!(start >= at && end > start && end <= points.length)) continue;
    if (start > at) nodes.push(document.createTextNode(points.slice(at, start).join("")));
    const mark = document.createElement("mark");
    mark.textContent = points.slice(start, end).join("");
    nodes.push(mark);
    at = end;
  }
  if (at < points.length) nodes.push(document.createTextNode(points.slice(at).join("")));
  return nodes;
}

/** The snippet line of a search result's card. */
export function snippetLine(item) {
  return h("p", { class: "card-snippet" }, marked(item.snippet ?? "", item.highlights));
}

/** The address of the feed searching `q` (the feed itself when blank). */
export function searchPath(q) {
  return q.trim() ? `/?q=${encodeURIComponent(q.trim())}` : "/";
}

/**
 * The search box. `onSearch(q)` runs DEBOUNCE_MS after the last keystroke, not while an IME
 * composes (its compositionend counts as the keystroke), and at once on Enter; the address
 * follows the query without drawing the page again.
 */
export function searchBox(initial, onSearch) {
  const input = h("input", {
    type: "search",
    name: "q",
    class: "search-input",
    value: initial,
    autocomplete: "off",
    enterkeyhint: "search",
    "aria-label": t("search.label"),
    placeholder: t("search.placeholder"),
  });
  let timer = 0;
  let composing = false;
  let last = initial.trim();
  const run = () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === last) return;
    last = q;
    rewrite(searchPath(q));
    onSearch(q);
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  };
  input.addEventListener("compositionstart", () => {
    composing = true;
    clearTimeout(timer);
  });
  input.addEventListener("compositionend", () => {
    composing = false;
    later();
  });
  input.addEventListener("input", (event) => {
    if (composing || event.isComposing) return;
    later();
  });
  const form = h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        if (!composing) run();
      },
    },
    input,
  );
  return { form, input };
}

/** What to show when a search finds nothing: what to try instead. */
export function emptyResult(q) {
  const tries = [t("search.example.ko"), t("search.example.en")];
  return h(
    "div",
    { class: "empty search-empty" },
    h("p", {}, t("search.empty", { q })),
    h(
      "ul",
      { class: "search-tips" },
      h("li", {}, t("search.tip.fewer")),
      h("li", {}, t("search.tip.forms")),
      h(
        "li",
        {},
        t("search.tip.try"),
        " ",
        tries.flatMap((word, i) => [
          i ? ", " : "",
          h("a", { href: href(searchPath(word)), class: "search-example" }, word),
        ]),
      ),
    ),
  );
}
