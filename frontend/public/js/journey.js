// Journeys and sharing: where a chat's member started and the goal they set (the list items'
// `journey`), "Start from this journey" (a new chat with another chat's intake answers typed in
// for the member to edit), and the Share button (the chat's /c/{id} page on the API's origin,
// which link previews can read).

import * as api from "./api.js";
import { h, icon } from "./dom.js";
import { apiUrl } from "./http.js";
import { t } from "./i18n.js";
import { href } from "./router.js";
import { notify } from "./ui.js";

const ID = /^\d{1,18}$/;

/** The journey on two short lines (each clamped to one line by the CSS), or nothing. */
export function journeyLines(journey) {
  if (!journey || (!journey.from && !journey.to)) return null;
  const line = (label, text, kind) =>
    h(
      "p",
      { class: `journey-line journey-${kind}`, title: text },
      h("span", { class: "journey-label" }, label),
      " ",
      h("span", { class: "journey-text" }, text),
    );
  return h(
    "div",
    { class: "card-journey" },
    line(t("journey.from"), journey.from, "from"),
    line(t("journey.to"), journey.to, "to"),
  );
}

/** The share page of a chat: absolute, on the API's origin (where /c/ is served). */
export function shareUrl(chatId) {
  return new URL(apiUrl(`/c/${chatId}`), location.href).href;
}

/** The chat page's journey actions: share it, and start one's own chat from its journey. */
export function journeyActions(chat) {
  const label = h("span", {}, t("share.button"));
  const share = h(
    "button",
    { type: "button", class: "btn btn-ghost share-button" },
    icon("share"),
    label,
  );
  share.addEventListener("click", () => shareChat(chat, label));
  const start = h(
    "a",
    { href: href(`/new?from=${chat.id}`), class: "btn btn-ghost start-journey" },
    icon("plus"),
    h("span", {}, t("journey.start")),
  );
  return h("div", { class: "journey-actions" }, share, start);
}

async function shareChat(chat, label) {
  const url = shareUrl(chat.id);
  // Phones have the system's share sheet; elsewhere the link goes to the clipboard.
  if (typeof navigator.share === "function") {
    try {
      await navigator.share({ title: chat.title, url });
      return;
    } catch (error) {
      if (error?.name === "AbortError") return; // the member closed the sheet
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    label.textContent = t("share.copiedShort");
    setTimeout(() => (label.textContent = t("share.button")), 3000);
    notify(t("share.copied", { url }));
  } catch {
    notify(t("share.copyThis", { url }));
  }
}

/** The chat `from` query names, when it is an id: the chat to start from. */
export function startingChat(query) {
  const from = query?.get("from");
  return from && ID.test(from) ? from : null;
}

/** That chat's intake answers by kind ({current_state, goal, misc}), to type in for the member. */
export async function journeyAnswers(chatId) {
  const chat = await api.chat(chatId);
  const answers = {};
  for (const item of chat.intake) answers[item.kind] = item.answer;
  return { title: chat.title, answers };
}
