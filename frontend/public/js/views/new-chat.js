// A new chat, the way the coach starts one: it asks, one at a time, where the member is now,
// the goal they want to reach and anything else (optional), then answers all three at once.
// The answers so far are kept in sessionStorage, so a reload or a trip through the login page
// picks up at the same question. Started from another chat's journey (#/new?from=12), each
// question comes with that chat's answer typed in, for the member to edit and send.

import * as api from "../api.js";
import { ask } from "../asking.js";
import { createComposer, readDraft, saveDraft } from "../composer.js";
import { botQuestion, messageList, userMessage } from "../conversation.js";
import { focusView, h } from "../dom.js";
import { describeError } from "../errors.js";
import { handOver } from "../handoff.js";
import { t } from "../i18n.js";
import { journeyAnswers, startingChat } from "../journey.js";
import { navigate, rewrite } from "../router.js";
import { currentProfile } from "../state.js";
import { flash, errorBox, loading, setTitle } from "../ui.js";

const ANSWER_MAX = 2000;
const PROGRESS_KEY = "/new#answers";

function readProgress(key) {
  try {
    const saved = JSON.parse(readDraft(key) || "[]");
    return Array.isArray(saved) ? saved.filter((a) => typeof a === "string") : [];
  } catch {
    return [];
  }
}

export async function newChatView({ main, signal, query }) {
  setTitle(t("intake.title"));
  // A start from another chat's journey keeps its own progress and drafts.
  const from = startingChat(query);
  const draftKey = from ? `/new?from=${from}` : "/new";
  const progressKey = from ? `${draftKey}#answers` : PROGRESS_KEY;
  const heading = h("h1", {}, t("intake.title"));
  const stepLabel = h("p", { class: "intake-step muted", "aria-live": "polite" });
  main.append(
    h(
      "section",
      { class: "page page-chat page-new" },
      h(
        "header",
        { class: "chat-head" },
        h("div", {}, heading, h("p", { class: "muted" }, t("intake.lead"))),
      ),
      loading(t("intake.loading")),
    ),
  );
  focusView(heading);

  let questions;
  let models = null;
  let journey = null;
  try {
    // The model list is a nicety: without it the chat simply uses the server's default.
    const [intake, available, started] = await Promise.all([
      api.intake(),
      api.models().catch(() => null),
      from ? journeyAnswers(from).catch(() => null) : null,
    ]);
    questions = intake.questions;
    models = available;
    journey = started;
  } catch (error) {
    if (!signal.aborted)
      main.querySelector(".loading")?.replaceWith(errorBox(describeError(error)));
    return;
  }
  if (signal.aborted) return;

  const page = main.querySelector(".page-new");
  const list = messageList();
  const answers = readProgress(progressKey).slice(0, questions.length);
  // All answered but never sent (the session ended on the way): the last one goes back in the
  // box, ready to send again.
  const unsent = answers.length === questions.length ? answers.pop() : null;
  const skip = h("button", { type: "button", class: "btn btn-ghost btn-small" }, t("intake.skip"));
  const back = h(
    "button",
    { type: "button", class: "btn btn-ghost btn-small intake-back" },
    t("intake.back"),
  );
  let composer = null;
  let started = false;

  const question = (i) => questions[i];
  const saveProgress = () => saveDraft(progressKey, answers.length ? JSON.stringify(answers) : "");

  const draw = () => {
    list.replaceChildren();
    answers.forEach((answer, i) => {
      list.append(botQuestion(question(i).text));
      if (answer) list.append(userMessage(answer));
    });
    const current = question(answers.length);
    list.append(botQuestion(current.text));
    stepLabel.textContent = t("intake.step", { n: answers.length + 1, total: questions.length });
    skip.hidden = current.required;
    back.hidden = answers.length === 0;
    const suggested = journey?.answers[current.kind];
    if (suggested && composer && !composer.textarea.value) composer.restore(suggested);
  };

  const startChat = async () => {
    started = true;
    skip.hidden = true;
    back.hidden = true;
    // The questions are over: the page says the coach is answering, and the box is the chat's.
    stepLabel.textContent = t("intake.answering");
    composer.textarea.placeholder = t("composer.placeholder");
    const body = {};
    questions.forEach((q, i) => {
      if (answers[i]) body[q.kind] = answers[i];
    });
    if (modelPicker && modelPicker.value !== models.default) body.model = modelPicker.value;
    body.anonymous = anonymousBox.checked;
    let chatId = null;
    const outcome = await ask({
      list,
      composer,
      question: "",
      showQuestion: false,
      send: (handlers) => api.startChat(body, handlers),
      onChat(event) {
        // The chat exists from the first event: give the page its address at once, so a reload
        // mid-answer lands on the chat instead of a blank intake.
        chatId = event.chat_id;
        rewrite(`/chats/${chatId}`);
        saveDraft(PROGRESS_KEY, ""); // sent: a reload follows the answer, not the intake again
      },
    });
    if (signal.aborted) return;
    const created = chatId ?? outcome?.result?.id ?? outcome?.error?.body?.chat_id ?? null;
    if (created !== null) {
      saveDraft(progressKey, "");
      if (outcome?.error) flash(describeError(outcome.error));
      // Read before leaving, so the chat's page replaces this one in one step, scrolled to
      // the answer, instead of going blank behind a spinner first.
      const chat = await api.chat(created).catch(() => null);
      if (signal.aborted) return;
      if (chat) handOver(chat);
      // Open it as a chat: the follow-up box and the delete button appear there.
      navigate(`/chats/${created}`, { replace: true });
      return;
    }
    // Not created (no allowance left, network down...): the answers are still here to send again.
    started = false;
    composer.textarea.placeholder = t("intake.placeholder");
    // An answer the server refused for what it holds goes back in the box at its own question.
    const refused = outcome?.error?.code === "personal_data" ? outcome.error.body.field : null;
    const at = questions.findIndex((q) => q.kind === refused);
    const again = at >= 0 ? answers.splice(at)[0] : answers.pop();
    saveProgress();
    composer.restore(again ?? "");
    draw();
    if (outcome?.error) composer.showError(describeError(outcome.error));
  };

  const submit = (value) => {
    if (started) return;
    const text = value.trim();
    const current = question(answers.length);
    if (!text && current.required) {
      composer.showError(t("intake.required"));
      return;
    }
    if (text.length > ANSWER_MAX) return;
    composer.take();
    answers.push(text);
    saveProgress();
    composer.sent();
    if (answers.length < questions.length) {
      draw();
      composer.focus();
      return;
    }
    if (text) list.append(userMessage(text));
    startChat();
  };

  composer = createComposer({
    label: t("composer.answerLabel"),
    placeholder: t("intake.placeholder"),
    maxLength: ANSWER_MAX,
    draftKey,
    signal,
    onSubmit: submit,
    extra: [skip],
  });
  skip.addEventListener("click", () => submit(""));
  back.addEventListener("click", () => {
    if (started || !answers.length) return;
    const previous = answers.pop();
    saveProgress();
    draw();
    composer.restore(previous);
    composer.focus();
  });

  // A choice of model only when the server offers more than one.
  const modelPicker =
    models?.models?.length > 1
      ? h(
          "select",
          { id: "model", class: "select select-plain" },
          ...models.models.map((m) =>
            h("option", { value: m.id, selected: m.id === models.default }, m.id),
          ),
        )
      : null;
  const modelField = modelPicker
    ? h(
        "div",
        { class: "model-field" },
        h("label", { for: "model" }, t("intake.model")),
        modelPicker,
      )
    : null;
  // Whether the chat shows the member's nickname; the profile's default until changed here.
  const anonymousBox = h("input", {
    type: "checkbox",
    id: "anonymous",
    checked: Boolean(currentProfile()?.anonymous_by_default),
  });
  const anonymousField = h(
    "div",
    { class: "anonymous-field" },
    anonymousBox,
    h("label", { for: "anonymous" }, t("intake.anonymous")),
  );
  const journeyNote = journey
    ? h("p", { class: "notice journey-note" }, t("journey.startNote", { title: journey.title }))
    : "";
  page
    .querySelector(".loading")
    .replaceWith(
      h("div", { class: "intake-bar" }, stepLabel, modelField, anonymousField),
      journeyNote,
      list,
      back,
    );
  page.append(h("div", { class: "composer-dock" }, composer.el));
  if (unsent !== null && !composer.textarea.value) composer.restore(unsent);
  draw();
  composer.focus();
}
