// What a screen reader should hear without focus moving: the page a navigation arrived at, and
// a coach's answer once it is complete. Two polite live regions, made once at start-up (a region
// must be in the page before its text changes to be read). An answer is announced when it ends,
// never token by token: a region updated per token would be read as a stutter of fragments.

import { t } from "./i18n.js";

function region(id) {
  const el = document.createElement("div");
  el.id = id;
  el.className = "sr-only";
  el.setAttribute("role", "status");
  el.setAttribute("aria-live", "polite");
  el.setAttribute("aria-atomic", "true");
  document.body.append(el);
  return el;
}

const pageRegion = region("page-announcer");
const answerRegion = region("answer-announcer");
let firstPage = true;
let pageTimer = 0;

/** Say which page is showing. The first page of a visit is not announced (the screen reader
 * reads the new document anyway), and a page that names itself twice while loading ("Loading…",
 * then the chat's title) is announced once, by its final name. */
export function announcePage(title) {
  if (firstPage) {
    firstPage = false;
    return;
  }
  clearTimeout(pageTimer);
  pageTimer = setTimeout(() => {
    pageRegion.textContent = title;
  }, 250);
}

/** Read out a finished answer (its rendered Markdown, `body`), once: the words only, one line a
 * paragraph or list item, without the code blocks' "Copy" bars. */
export function announceAnswer(body) {
  const copy = body.cloneNode(true);
  for (const bar of copy.querySelectorAll(".code-bar")) bar.remove();
  for (const block of copy.querySelectorAll("p, li, pre, h1, h2, h3, h4, h5, h6, tr")) {
    block.append("\n");
  }
  const words = copy.textContent.replace(/\s*\n\s*/g, "\n").trim();
  if (words) answerRegion.textContent = t("announce.answer", { text: words });
}
