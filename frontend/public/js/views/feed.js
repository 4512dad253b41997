// The public feed: every chat, newest first, for anyone. More load as the reader nears the end
// of the list (or presses the button, for keyboards and screen readers).

import * as api from "../api.js";
import { focusView, h } from "../dom.js";
import { describeError } from "../errors.js";
import { formatNumber, formatRelative, t } from "../i18n.js";
import { journeyLines } from "../journey.js";
import { current, href } from "../router.js";
import { emptyResult, searchBox, snippetLine } from "../search.js";
import { errorBox, loading, setTitle } from "../ui.js";

export function chatCard(chat, extra = null) {
  const count =
    chat.turn_count === 1
      ? t("feed.turns.one")
      : t("feed.turns", { count: formatNumber(chat.turn_count) });
  return h(
    "li",
    { class: "card" },
    h(
      "a",
      { href: href(`/chats/${chat.id}`), class: "card-link" },
      h("h2", { class: "card-title" }, chat.title),
      journeyLines(chat.journey),
      h(
        "p",
        { class: "card-meta" },
        h(
          "span",
          { class: "card-author" },
          chat.author ? t("feed.by", { nickname: chat.author.nickname }) : t("feed.anonymous"),
        ),
        h("span", { "aria-hidden": "true" }, " · "),
        h("time", { datetime: chat.updated_at }, formatRelative(chat.updated_at)),
        h("span", { "aria-hidden": "true" }, " · "),
        h("span", {}, count),
      ),
      extra,
    ),
  );
}

export async function feedView({ main, signal }) {
  setTitle(t("feed.title"));
  const heading = h("h1", {}, t("feed.title"));
  const list = h("ol", { class: "cards", "aria-labelledby": "feed-heading" });
  heading.id = "feed-heading";
  const status = h("div", { class: "feed-status" });
  const more = h(
    "button",
    { type: "button", class: "btn feed-more", hidden: true },
    t("feed.more"),
  );
  let q = (current().query.get("q") ?? "").trim();
  const box = searchBox(q, (wanted) => {
    q = wanted;
    restart();
  });
  main.append(
    h(
      "section",
      { class: "page page-feed" },
      h("header", { class: "page-head" }, heading, h("p", { class: "lead" }, t("feed.lead"))),
      box.form,
      list,
      status,
      more,
    ),
  );
  focusView(heading);

  let next = null;
  let busy = false;
  // Each search starts a new list; an answer for an earlier one is dropped when it comes.
  let generation = 0;
  const load = async () => {
    if (busy) return;
    busy = true;
    const mine = generation;
    const searching = q;
    more.hidden = true;
    status.replaceChildren(loading(t(searching ? "search.loading" : "feed.loading")));
    try {
      const page = await (searching ? api.searchChats(searching, next) : api.feed(next));
      if (signal.aborted || mine !== generation) return;
      list.append(
        ...page.results.map((item) => chatCard(item, searching ? snippetLine(item) : null)),
      );
      next = page.next;
      status.replaceChildren();
      more.textContent = t("feed.more");
      if (!list.children.length && searching) status.append(emptyResult(searching));
      else if (!list.children.length) status.append(h("p", { class: "empty" }, t("feed.empty")));
      else if (!next)
        status.append(
          h("p", { class: "muted feed-end" }, t(searching ? "search.end" : "feed.end")),
        );
      more.hidden = !next;
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      status.replaceChildren(errorBox(describeError(error)));
      more.textContent = t("feed.retry");
      more.hidden = false;
    } finally {
      if (mine === generation) busy = false;
    }
  };
  const restart = () => {
    generation += 1;
    busy = false;
    next = null;
    list.replaceChildren();
    load();
  };
  more.addEventListener("click", load);

  // Scrolling near the button loads the next page by itself.
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting) && next && !busy) load();
    },
    { rootMargin: "400px 0px" },
  );
  observer.observe(more);
  signal.addEventListener("abort", () => observer.disconnect());
  await load();
}
