// The member's usage receipts in Settings (README, "Usage receipts"): today's requests against
// the limit, then every request of the last 30 days grouped by day, with its chat and what
// became of it.

import * as api from "./api.js";
import { h } from "./dom.js";
import { describeError } from "./errors.js";
import { formatDateTime, language, t } from "./i18n.js";
import { href } from "./router.js";
import { errorBox, loading } from "./ui.js";

const OUTCOME_BADGE = { charged: "", stopped: "", refunded: "badge-ok", pending: "badge-warn" };

/** A day of the quota's calendar ("2026-12-03"), as the reader's language writes dates. */
function formatDay(day) {
  const [year, month, date] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(language(), { dateStyle: "full", timeZone: "UTC" }).format(
    new Date(Date.UTC(year, month - 1, date)),
  );
}

/** The time of day of a receipt, on the quota's clock (the offset the API gives). */
function formatTime(iso) {
  const [, clock] = String(iso).match(/T(\d{2}:\d{2})/) ?? [];
  return clock ?? formatDateTime(iso);
}

function receipt(item) {
  const chat = item.chat
    ? h("a", { href: href(`/chats/${item.chat.id}`) }, item.chat.title)
    : h("span", { class: "muted" }, t("usage.deletedChat"));
  return h(
    "li",
    { class: "usage-receipt", "data-outcome": item.outcome },
    h("time", { datetime: item.at }, formatTime(item.at)),
    h("span", { class: "usage-chat" }, chat),
    h(
      "span",
      { class: `badge ${OUTCOME_BADGE[item.outcome] ?? ""}` },
      t(`usage.outcome.${item.outcome}`),
    ),
  );
}

function day(entry) {
  const headingId = `usage-day-${entry.day}`;
  return h(
    "section",
    { class: "usage-day", "aria-labelledby": headingId, "data-day": entry.day },
    h(
      "h3",
      { id: headingId },
      formatDay(entry.day),
      " ",
      h(
        "span",
        { class: "muted usage-day-total" },
        t("usage.dayTotal", { used: entry.used, refunded: entry.refunded }),
      ),
    ),
    h("ol", { class: "usage-receipts" }, ...entry.receipts.map(receipt)),
  );
}

function draw(body, usage) {
  const today = usage.today;
  body.replaceChildren(
    h(
      "p",
      { class: "usage-today" },
      t("usage.today", {
        used: today.used,
        limit: today.limit,
        resets: formatDateTime(today.resets_at),
      }),
    ),
    usage.days.length
      ? h("div", { class: "usage-days" }, ...usage.days.map(day))
      : h("p", { class: "muted" }, t("usage.none")),
  );
}

/** The Usage section of Settings; it loads its receipts on its own. */
export function usageSection() {
  const headingId = "settings-usage";
  const body = h("div", { class: "usage-body" }, loading(t("usage.loading")));
  api
    .usage(30)
    .then((usage) => draw(body, usage))
    .catch((error) => body.replaceChildren(errorBox(describeError(error))));
  return h(
    "section",
    { class: "settings-section settings-usage", "aria-labelledby": headingId },
    h("h2", { id: headingId }, t("usage.title")),
    h("p", { class: "settings-lead" }, t("usage.lead")),
    body,
  );
}
