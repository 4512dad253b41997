// The messages of a chat: the coach's questions and answers on the left, the member's words on
// the right. People's text is always shown as plain text; only the coach's answers are Markdown.

import { announceAnswer } from "./announce.js";
import { answerTools } from "./chat-export.js";
import { h, icon } from "./dom.js";
import { describeTurnError } from "./errors.js";
import { ratingButtons } from "./feedback.js";
import { t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";

export function messageList() {
  return h("ol", { class: "messages" });
}

function avatar(kind) {
  return h(
    "span",
    { class: `avatar avatar-${kind}`, "aria-hidden": "true" },
    kind === "bot" ? icon("bolt") : "",
  );
}

export function userMessage(text) {
  return h(
    "li",
    { class: "msg msg-user" },
    h("span", { class: "sr-only" }, `${t("chat.you")}: `),
    h("div", { class: "bubble" }, h("p", { class: "plain" }, text)),
  );
}

/** A question from the coach (intake): plain text, it comes from the API, not the model. */
export function botQuestion(text) {
  return h(
    "li",
    { class: "msg msg-bot" },
    avatar("bot"),
    h(
      "div",
      { class: "bubble" },
      h("span", { class: "sr-only" }, `${t("chat.bot")}: `),
      h("p", { class: "plain" }, text),
    ),
  );
}

/**
 * A stored turn's answer, whatever became of it. `onRetry` offers to ask again when it failed,
 * `onReload` to load the chat again while it is still being written; with `chatId`, a member
 * may rate the answer.
 */
export function answerMessage(turn, { onRetry, onReload, chatId } = {}) {
  const view = answerShell();
  showTurn(view, turn, { onRetry, onReload, chatId });
  return view.el;
}

function answerShell() {
  const body = h("div", { class: "markdown", "aria-label": t("chat.answerLabel") });
  const note = h("div", { class: "answer-note" });
  const bubble = h(
    "div",
    { class: "bubble" },
    h("span", { class: "sr-only" }, `${t("chat.bot")}: `),
    body,
    note,
  );
  const el = h("li", { class: "msg msg-bot msg-answer" }, avatar("bot"), bubble);
  return { el, body, note };
}

function showTurn(view, turn, { onRetry, onReload, chatId } = {}) {
  view.el.dataset.status = turn.status;
  view.note.replaceChildren();
  if (turn.answer) renderMarkdown(view.body, turn.answer);
  else view.body.replaceChildren();
  if (turn.status === "stopped") view.note.append(h("p", { class: "muted" }, t("chat.stopped")));
  if (turn.answer && (turn.status === "completed" || turn.status === "stopped")) {
    view.note.append(answerTools(turn.answer));
  }
  if (turn.status === "failed") failure(view, describeTurnError(turn.error_code), onRetry);
  if (turn.status === "pending" || turn.status === "streaming") {
    view.note.append(h("p", { class: "muted" }, t("chat.pending")), reloadButton(onReload));
  }
  const rating = ratingButtons(chatId, turn);
  if (rating) view.note.append(rating);
}

function reloadButton(onReload) {
  return onReload
    ? h("button", { type: "button", class: "btn btn-small", onclick: onReload }, t("chat.reload"))
    : null;
}

function failure(view, message, onRetry) {
  view.el.dataset.status = "failed";
  view.note.append(
    h("p", { class: "error-text", role: "alert" }, icon("alert"), h("span", {}, message)),
    onRetry
      ? h("button", { type: "button", class: "btn btn-small", onclick: onRetry }, t("chat.retry"))
      : null,
  );
}

/**
 * An answer being written. `append` adds streamed text (drawn at most once per frame: an answer
 * can arrive faster than it is worth re-rendering); `finish` shows the stored turn;
 * `fail` shows why there is no answer; `interrupted` that the stream ended before the answer did.
 */
export function streamingAnswer() {
  const view = answerShell();
  let text = "";
  let frame = 0;
  view.el.dataset.status = "streaming";
  view.el.setAttribute("aria-busy", "true");
  view.body.append(
    h(
      "p",
      { class: "thinking" },
      h("span", { class: "dots", "aria-hidden": "true" }),
      t("chat.thinking"),
    ),
  );

  const draw = () => {
    frame = 0;
    renderMarkdown(view.body, text, { final: false });
  };
  const settle = () => {
    cancelAnimationFrame(frame);
    frame = 0;
    view.el.removeAttribute("aria-busy");
  };
  return {
    el: view.el,
    get text() {
      return text;
    },
    append(piece) {
      text += piece;
      frame ||= requestAnimationFrame(draw);
    },
    finish(turn, options) {
      settle();
      showTurn(view, turn, options);
      if (turn.status === "completed") announceAnswer(view.body);
    },
    stopped() {
      settle();
      view.el.dataset.status = "stopped";
      if (text) renderMarkdown(view.body, text);
      else view.body.replaceChildren();
      view.note.replaceChildren(h("p", { class: "muted" }, t("chat.stopped")));
    },
    fail(message, onRetry) {
      settle();
      if (text) renderMarkdown(view.body, text);
      else view.body.replaceChildren();
      failure(view, message, onRetry);
    },
    // The connection ended without `done` or `error` (a proxy cut it when the app server died,
    // or the network dropped): the server may still be writing the answer, may have stored it,
    // or will mark it interrupted and give the request back once its lease runs out. Only the
    // stored chat can say which, so the way on is to load it again, not to ask (and pay) twice.
    interrupted(message, onReload) {
      settle();
      if (text) renderMarkdown(view.body, text);
      else view.body.replaceChildren();
      view.el.dataset.status = "interrupted";
      view.note.replaceChildren(
        h("p", { class: "error-text", role: "alert" }, icon("alert"), h("span", {}, message)),
        reloadButton(onReload),
      );
    },
  };
}
