// One chat, readable by anyone. Its owner also gets the message box to keep talking and a
// button to delete it.

import * as api from "../api.js";
import { isLoggedIn } from "../auth.js";
import { downloadButton } from "../chat-export.js";
import { createComposer } from "../composer.js";
import { answerMessage, botQuestion, messageList, userMessage } from "../conversation.js";
import { focusView, h, icon } from "../dom.js";
import { describeError } from "../errors.js";
import { ApiError } from "../http.js";
import { formatDateTime, has, t } from "../i18n.js";
import { journeyActions } from "../journey.js";
import { href, loginPath, navigate } from "../router.js";
import { chatsChanged, currentProfile, loadProfile } from "../state.js";
import { ask, reloadChat } from "../asking.js";
import { takeOver } from "../handoff.js";
import { notFoundView } from "./not-found.js";
import { followedAnswer } from "../resume.js";
import {
  confirmDialog,
  errorBox,
  loading,
  notify,
  openDialog,
  setTitle,
  takeFlash,
} from "../ui.js";

export const MESSAGE_MAX = 4000;

export async function chatView({ main, params: [id], signal, path }) {
  setTitle(t("chat.loading"));
  // Replaced, not main's children, so the banner above the page (banner.js) stays.
  const spinner = loading(t("chat.loading"));
  main.append(spinner);
  let chat;
  try {
    chat = takeOver(id) ?? (await api.chat(id));
  } catch (error) {
    if (signal.aborted) return;
    if (error instanceof ApiError && error.status === 404) {
      spinner.remove();
      notFoundView({ main, title: t("chat.notFound.title"), body: t("chat.notFound") });
      return;
    }
    spinner.replaceWith(errorBox(describeError(error)));
    setTitle("");
    return;
  }
  if (signal.aborted) return;
  setTitle(chat.title);

  // Read with the member's token: only the owner's copy of an anonymous chat names them.
  const mine =
    isLoggedIn() && Boolean(chat.author) && currentProfile()?.nickname === chat.author.nickname;
  const heading = h("h1", { class: "chat-title" }, chat.title);
  // A hidden chat reaches its owner alone (and staff): it can be read and deleted, not changed.
  const hidden = mine && chat.hidden;
  const actions = mine
    ? h(
        "div",
        { class: "chat-actions" },
        hidden ? null : anonymityToggle(chat),
        h(
          "button",
          { type: "button", class: "btn btn-ghost btn-danger-text", onclick: () => remove(chat) },
          icon("trash"),
          h("span", {}, t("chat.delete")),
        ),
      )
    : isLoggedIn()
      ? h("div", { class: "chat-actions" }, reportButton(chat))
      : null;
  // Anyone may take the chat away as Markdown.
  const tools = actions ?? h("div", { class: "chat-actions" });
  tools.prepend(downloadButton(chat.id));
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
      tools,
    ),
    hidden ? hiddenNotice(chat) : journeyActions(chat),
    list,
  );
  heading.id = "chat-heading";
  spinner.replaceWith(page);

  for (const item of chat.intake) {
    list.append(botQuestion(item.question), userMessage(item.answer));
  }

  let composer = null;
  let following = null; // the pending turn being followed, while it is
  // The first turn's question is the intake itself, already shown above as questions and
  // answers; so is a later turn that asked it again after the first answer failed.
  const isIntake = (turn) =>
    chat.intake.length > 0 && (turn.index === 0 || turn.question === chat.turns[0].question);
  const last = chat.turns.at(-1);
  // A failed turn asked again (a later turn with its question) is replaced by that one.
  const askedAgain = (turn, i) =>
    turn.status === "failed" && chat.turns.slice(i + 1).some((t) => t.question === turn.question);
  for (const [i, turn] of chat.turns.entries()) {
    if (askedAgain(turn, i)) continue;
    const question = isIntake(turn) ? null : userMessage(turn.question);
    if (question) list.append(question);
    // Only the last turn offers to ask again: one asked again already is not asked twice.
    const onRetry =
      mine && turn === last ? () => retry(turn.question, question, answer) : undefined;
    const answer =
      turn.status === "pending"
        ? followedAnswer(chat.id, turn.id, {
            signal,
            onRetry,
            onSettled: () => {
              following = null;
              composer?.setBusy(false);
              loadProfile().catch(() => {});
              chatsChanged();
            },
          })
        : answerMessage(turn, { onRetry, onReload: reloadChat, chatId: chat.id });
    if (turn.status === "pending") following = turn;
    list.append(answer);
  }

  const followUp = (content, { showQuestion = true } = {}) =>
    ask({
      list,
      composer,
      question: content,
      chatId: chat.id,
      showQuestion,
      send: (handlers) => api.sendMessage(chat.id, content, handlers),
      onRetry: () => followUp(content, { showQuestion }),
    });
  // A failed answer asked again: the new turn takes the failed one's place on the page (its
  // request was given back, so this is the one request the question costs).
  const retry = (content, question, answer) => {
    question?.remove();
    answer.remove();
    composer?.showError(""); // the failure's message, if the page opened with it
    return followUp(content, { showQuestion: Boolean(question) });
  };

  if (mine && !hidden) {
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
    // An answer still being written (left and come back, or from another tab): stop is offered.
    if (following) composer.setBusy(true, () => api.stopTurn(chat.id, following.id));
    composer.focus();
  } else if (!mine) {
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
  if (mine && !hidden) scrollToEnd(list);
  else if (hidden) focusView(heading);
}

/** What the owner of a hidden chat is told: hidden, why, and what they may still do. */
function hiddenNotice(chat) {
  const reason = `chat.hidden.reason.${chat.hidden_reason}`;
  return h(
    "div",
    { class: "notice hidden-notice", role: "status" },
    h("strong", {}, t("chat.hidden.title")),
    " ",
    has(reason) ? t(reason) : t("chat.hidden.reason.other"),
    " ",
    t("chat.hidden.body"),
  );
}

const REPORT_REASONS = ["spam", "abuse", "personal_data", "illegal", "other"];

/** "Report" on someone else's chat: a dialog with the reasons and an optional detail. */
function reportButton(chat) {
  const button = h(
    "button",
    { type: "button", class: "btn btn-ghost", onclick: () => reportDialog(chat, button) },
    icon("alert"),
    h("span", {}, t("report.open")),
  );
  return button;
}

function markReported(button) {
  button.disabled = true;
  button.lastElementChild.textContent = t("report.done");
}

function reportDialog(chat, button) {
  const titleId = "report-title";
  const choices = REPORT_REASONS.map((reason) =>
    h(
      "label",
      { class: "report-reason" },
      h("input", { type: "radio", name: "reason", value: reason, required: true }),
      " ",
      t(`report.reason.${reason}`),
    ),
  );
  const detail = h("textarea", { id: "report-detail", maxlength: "1000", rows: "3" });
  const problem = h("p", { class: "error-text", role: "alert", hidden: true });
  const cancel = h("button", { type: "button", class: "btn" }, t("chat.cancel"));
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, t("report.send"));
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", { id: titleId }, t("report.title")),
    h("p", { class: "muted" }, t("report.intro")),
    h("fieldset", { class: "report-reasons" }, h("legend", {}, t("report.reason")), choices),
    h("label", { for: "report-detail" }, t("report.detail")),
    detail,
    problem,
    h("div", { class: "dialog-actions" }, cancel, submit),
  );
  const close = openDialog(form, { labelledBy: titleId, returnTo: button });
  const say = (text) => {
    problem.textContent = text;
    problem.hidden = false;
  };
  cancel.addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = form.querySelector("input[name=reason]:checked")?.value;
    if (!reason) return say(t("report.pick"));
    submit.disabled = true;
    try {
      await api.reportChat(chat.id, reason, detail.value);
    } catch (error) {
      submit.disabled = false;
      if (error instanceof api.SessionExpired) return close();
      if (error instanceof ApiError && error.code === "already_reported") {
        close();
        markReported(button);
        return notify(t("errors.already_reported"));
      }
      if (error instanceof ApiError && error.code === "email_unverified") {
        return say(t("report.unverified"));
      }
      return say(describeError(error));
    }
    close();
    markReported(button);
    notify(t("report.sent"));
    // Enough reports hide a chat at once: read it again, so a reader whose report tipped it
    // sees it gone as everyone else does.
    reloadChat();
  });
  choices[0].querySelector("input").focus();
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
