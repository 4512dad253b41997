// One chat, readable by anyone. Its owner also gets the message box to keep talking and a
// button to delete it.

import * as api from "../api.js";
import { isLoggedIn } from "../auth.js";
import { createComposer } from "../composer.js";
import { answerMessage, botQuestion, messageList, userMessage } from "../conversation.js";
import { focusView, h, icon } from "../dom.js";
import { describeError } from "../errors.js";
import { ApiError } from "../http.js";
import { formatDateTime, t } from "../i18n.js";
import { href, loginPath, navigate } from "../router.js";
import { chatsChanged, currentProfile } from "../state.js";
import { ask, reloadChat } from "../asking.js";
import { confirmDialog, errorBox, loading, notify, setTitle, takeFlash } from "../ui.js";

export const MESSAGE_MAX = 4000;

export async function chatView({ main, params: [id], signal, path }) {
  setTitle(t("chat.loading"));
  // Replaced, not main's children, so the banner above the page (banner.js) stays.
  const spinner = loading(t("chat.loading"));
  main.append(spinner);
  let chat;
  try {
    chat = await api.chat(id);
  } catch (error) {
    if (signal.aborted) return;
    const notFound = error instanceof ApiError && error.status === 404;
    spinner.replaceWith(errorBox(notFound ? t("chat.notFound") : describeError(error)));
    setTitle(notFound ? t("chat.notFound") : "");
    return;
  }
  if (signal.aborted) return;
  setTitle(chat.title);

  // Read with the member's token: only the owner's copy of an anonymous chat names them.
  const mine =
    isLoggedIn() && Boolean(chat.author) && currentProfile()?.nickname === chat.author.nickname;
  const heading = h("h1", { class: "chat-title" }, chat.title);
  const actions = mine
    ? h(
        "div",
        { class: "chat-actions" },
        anonymityToggle(chat),
        h(
          "button",
          { type: "button", class: "btn btn-ghost btn-danger-text", onclick: () => remove(chat) },
          icon("trash"),
          h("span", {}, t("chat.delete")),
        ),
      )
    : null;
  const list = messageList();
  const page = h(
    "section",
    { class: "page page-chat", "aria-labelledby": "chat-heading" },
    h(
      "header",
      { class: "chat-head" },
      h(
        "div",
        {},
        heading,
        h(
          "p",
          { class: "muted" },
          chat.author && !chat.anonymous
            ? t("chat.by", { nickname: chat.author.nickname })
            : t("chat.byAnonymous"),
          " · ",
          h("time", { datetime: chat.created_at }, formatDateTime(chat.created_at)),
        ),
      ),
      actions,
    ),
    list,
  );
  heading.id = "chat-heading";
  spinner.replaceWith(page);

  for (const item of chat.intake) {
    list.append(botQuestion(item.question), userMessage(item.answer));
  }

  let composer = null;
  const retryFor = (question) => (mine ? () => followUp(question) : undefined);
  for (const turn of chat.turns) {
    // The first turn's question is the intake itself, already shown above as questions and answers.
    if (turn.index > 0 || !chat.intake.length) list.append(userMessage(turn.question));
    list.append(
      answerMessage(turn, {
        onRetry: turn.status === "failed" ? retryFor(turn.question) : undefined,
        onReload: reloadChat,
      }),
    );
  }

  const followUp = (content) =>
    ask({
      list,
      composer,
      question: content,
      chatId: chat.id,
      send: (handlers) => api.sendMessage(chat.id, content, handlers),
      onRetry: () => followUp(content),
    });

  if (mine) {
    composer = createComposer({
      label: t("composer.label"),
      placeholder: t("composer.placeholder"),
      maxLength: MESSAGE_MAX,
      draftKey: path.split("?")[0],
      signal,
      onSubmit: () => followUp(composer.take()),
    });
    page.append(h("div", { class: "composer-dock" }, composer.el));
    const flashed = takeFlash();
    if (flashed) composer.showError(flashed);
    composer.focus();
  } else {
    page.append(
      h(
        "p",
        { class: "read-only" },
        chat.author
          ? t("chat.readOnly", { nickname: chat.author.nickname })
          : t("chat.readOnly.anonymous"),
        " ",
        isLoggedIn() ? null : h("a", { href: href(loginPath("/new")) }, t("chat.readOnly.anon")),
      ),
    );
    focusView(heading);
  }
  // The owner is here to go on talking: start at the latest answer. Readers start at the top.
  if (mine) scrollToEnd(list);
}

/** The owner's switch between showing the chat with and without their nickname. */
function anonymityToggle(chat) {
  let anonymous = Boolean(chat.anonymous);
  const button = h("button", { type: "button", class: "btn btn-ghost" });
  const draw = () => {
    button.textContent = t(anonymous ? "chat.anonymous.show" : "chat.anonymous.hide");
    button.setAttribute("aria-pressed", String(anonymous));
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      anonymous = (await api.setChatAnonymous(chat.id, !anonymous)).anonymous;
      draw();
      const byline = document.querySelector(".chat-head .muted");
      if (byline?.firstChild) {
        byline.firstChild.textContent = anonymous
          ? t("chat.byAnonymous")
          : t("chat.by", { nickname: chat.author.nickname });
      }
      notify(t(anonymous ? "chat.anonymous.hidden" : "chat.anonymous.shown"));
      chatsChanged();
    } catch (error) {
      if (!(error instanceof api.SessionExpired)) notify(describeError(error));
    } finally {
      button.disabled = false;
    }
  });
  draw();
  return button;
}

async function remove(chat) {
  const yes = await confirmDialog({
    title: t("chat.delete.title"),
    body: t("chat.delete.body", { title: chat.title }),
    confirmLabel: t("chat.delete.confirm"),
  });
  if (!yes) return;
  try {
    await api.deleteChat(chat.id);
  } catch (error) {
    if (!(error instanceof api.SessionExpired)) notify(describeError(error));
    return;
  }
  chatsChanged();
  notify(t("chat.deleted"));
  navigate("/", { replace: true });
}

function scrollToEnd(list) {
  list.lastElementChild?.scrollIntoView({ block: "end" });
}
