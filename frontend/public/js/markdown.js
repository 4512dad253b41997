// Model answers are Markdown written by a machine that repeats whatever it is told, so they are
// as untrusted as anything a stranger types. The pipeline:
//   1. marked renders Markdown, with raw HTML escaped (an answer that says <img onerror=...>
//      shows exactly that text) and images turned into plain links (nothing loads by itself);
//   2. DOMPurify sanitizes the result against a short allow-list and drops any link that is not
//      http(s) or mailto (no javascript:, no data:);
//   3. the sanitized DOM (never an HTML string) goes into the page; highlight.js only re-colours
//      the text of code blocks.
// The Content-Security-Policy in index.html is the second line of defence behind all of this.

import DOMPurify from "../vendor/dompurify/purify.es.js";
import hljs from "../vendor/highlight/highlight.min.js";
import { Marked } from "../vendor/marked/marked.esm.js";
import { h, icon } from "./dom.js";
import { t } from "./i18n.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    image({ href, text }) {
      const label = `${t("chat.image")}: ${text || href}`;
      return `<a href="${escapeHtml(href)}" class="md-image-link">${escapeHtml(label)}</a>`;
    },
  },
});

const ALLOWED_TAGS = (
  "a blockquote br code del em h1 h2 h3 h4 h5 h6 hr li ol p pre s strong sub sup table tbody td " +
  "th thead tr ul"
).split(" ");
const ALLOWED_ATTR = ["href", "title", "class", "align", "start"];
const SAFE_LINK = /^(https?:|mailto:)/i;
const SAFE_CLASS = /^(language-[\w+#.-]+|md-image-link)$/;

DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
  if (data.attrName === "class") {
    data.attrValue = data.attrValue
      .split(/\s+/)
      .filter((c) => SAFE_CLASS.test(c))
      .join(" ");
    if (!data.attrValue) data.keepAttr = false;
  }
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName !== "A") return;
  const href = node.getAttribute("href") ?? "";
  if (!SAFE_LINK.test(href.trim())) {
    // Relative links and other schemes would point into this app or somewhere unexpected.
    node.removeAttribute("href");
    return;
  }
  node.setAttribute("target", "_blank");
  node.setAttribute("rel", "noopener noreferrer nofollow ugc");
});

hljs.configure({ ignoreUnescapedHTML: true });

/** Sanitized DOM for `text`: a DocumentFragment safe to insert as is. A model's line breaks
 * are kept (`breaks`); a document written in an editor (the terms) wraps its lines freely. */
export function markdownFragment(text, { breaks = true } = {}) {
  const html = marked.parse(String(text ?? ""), { breaks });
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

/**
 * Render `text` into `target`. While an answer streams (`final` false) code is left plain:
 * highlighting on every token would cost more than it shows.
 */
export function renderMarkdown(target, text, { final = true } = {}) {
  target.replaceChildren(markdownFragment(text));
  for (const pre of target.querySelectorAll("pre")) decorateCode(pre, final);
}

function decorateCode(pre, final) {
  const code = pre.querySelector("code");
  if (!code) return;
  const language = [...code.classList].find((c) => c.startsWith("language-"))?.slice(9) ?? "";
  if (final) {
    if (!language || !hljs.getLanguage(language)) code.classList.add("nohighlight");
    else hljs.highlightElement(code);
  }
  const copy = h(
    "button",
    { type: "button", class: "code-copy", "aria-label": t("chat.copy.label") },
    icon("copy"),
    h("span", { class: "code-copy-text" }, t("chat.copy")),
  );
  copy.addEventListener("click", () => copyCode(copy, code.textContent));
  const bar = h("div", { class: "code-bar" }, h("span", { class: "code-lang" }, language), copy);
  const block = h("div", { class: "code-block" });
  pre.replaceWith(block);
  block.append(bar, pre);
}

/** Copy `text`, with `button` (an icon and a `.code-copy-text` label) saying how it went. */
export async function copyCode(button, text) {
  const label = button.querySelector(".code-copy-text");
  try {
    await navigator.clipboard.writeText(text);
    label.textContent = t("chat.copied");
    button.replaceChild(icon("check"), button.querySelector("svg"));
    setTimeout(() => {
      label.textContent = t("chat.copy");
      button.replaceChild(icon("copy"), button.querySelector("svg"));
    }, 2000);
  } catch {
    label.textContent = t("chat.copyFailed");
  }
}
