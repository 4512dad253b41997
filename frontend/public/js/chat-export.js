// Taking an answer or a whole chat out of the app: "Copy" under every finished answer (the
// Markdown as the coach wrote it), and "Download as Markdown" for a chat, saved as a file named
// after its title. The file is made here from what the API returns; nothing new is asked of it.

import * as api from "./api.js";
import { h, icon } from "./dom.js";
import { describeError } from "./errors.js";
import { formatDateTime, t } from "./i18n.js";
import { copyCode } from "./markdown.js";
import { notify, saveBlob } from "./ui.js";

/** The buttons under a finished answer. */
export function answerTools(answer) {
  const copy = h(
    "button",
    { type: "button", class: "code-copy answer-copy", "aria-label": t("chat.copyAnswer") },
    icon("copy"),
    h("span", { class: "code-copy-text" }, t("chat.copy")),
  );
  copy.addEventListener("click", () => copyCode(copy, answer));
  return h("div", { class: "answer-tools" }, copy);
}

/** The whole chat as one Markdown document: title, byline, the intake's questions and answers,
 * then every message and answer, each under who said it. */
export function chatMarkdown(chat) {
  const you = t("chat.you");
  const coach = t("chat.bot");
  const by =
    chat.author && !chat.anonymous
      ? t("chat.by", { nickname: chat.author.nickname })
      : t("chat.byAnonymous");
  const parts = [`# ${chat.title}`, `${by} · ${formatDateTime(chat.created_at)}`];
  const say = (who, text) => parts.push(`### ${who}`, text);
  for (const item of chat.intake) {
    say(coach, item.question);
    if (item.answer) say(you, item.answer);
  }
  for (const turn of chat.turns) {
    // The first turn's question is the intake itself, written out above.
    if (turn.index > 0 || !chat.intake.length) say(you, turn.question);
    say(
      coach,
      turn.answer || `_${t(turn.status === "failed" ? "chat.export.failed" : "chat.export.none")}_`,
    );
  }
  return `${parts.join("\n\n")}\n`;
}

/** A file name from the title: characters file systems refuse become "-". */
export function markdownFileName(chat) {
  const base = String(chat.title ?? "")
    .replace(/[\\/:*?"<>|\p{Cc}]+/gu, "-")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 80);
  return `${base || `chat-${chat.id}`}.md`;
}

/** "Download as Markdown": the chat is read again first, so answers given since the page was
 * drawn are in the file too. */
export function downloadButton(chatId) {
  const button = h(
    "button",
    { type: "button", class: "btn btn-ghost" },
    icon("download"),
    h("span", {}, t("chat.export")),
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const chat = await api.chat(chatId);
      const blob = new Blob([chatMarkdown(chat)], { type: "text/markdown;charset=utf-8" });
      saveBlob(blob, markdownFileName(chat));
    } catch (error) {
      if (!(error instanceof api.SessionExpired)) notify(describeError(error));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
