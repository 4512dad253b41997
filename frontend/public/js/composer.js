// The message box under a conversation. Enter sends and Shift+Enter starts a new line, except
// while an input method is composing (Korean, Japanese...), where Enter only confirms the
// syllable. What is typed is kept in sessionStorage under `draftKey` until it has been sent, so
// a reload or a detour through the login page loses nothing.

import { h, icon } from "./dom.js";
import { formatNumber, formatReset, t } from "./i18n.js";
import { findContactDetails } from "./privacy.js";
import { currentProfile, onProfile } from "./state.js";

let ids = 0;

export function readDraft(key) {
  return sessionStorage.getItem(`chatbot.draft:${key}`) ?? "";
}

export function saveDraft(key, value) {
  if (value) sessionStorage.setItem(`chatbot.draft:${key}`, value);
  else sessionStorage.removeItem(`chatbot.draft:${key}`);
}

export function createComposer({
  label,
  placeholder,
  maxLength,
  draftKey,
  onSubmit,
  signal,
  extra = [],
}) {
  const id = `composer-${(ids += 1)}`;
  const textarea = h("textarea", {
    id,
    name: "message",
    rows: 1,
    placeholder,
    "aria-describedby": `${id}-hint ${id}-note`,
    autocomplete: "off",
  });
  const sendButton = h(
    "button",
    {
      type: "submit",
      class: "btn btn-primary btn-icon composer-send",
      "aria-label": t("composer.send"),
    },
    icon("send"),
  );
  const counter = h("span", { class: "composer-count", "aria-live": "polite" });
  const note = h("p", { id: `${id}-note`, class: "composer-note", role: "status" });
  const anyway = h(
    "button",
    { type: "button", class: "btn btn-ghost btn-small composer-anyway", hidden: true },
    t("privacy.sendAnyway"),
  );
  const form = h(
    "form",
    { class: "composer", method: "post", novalidate: true },
    h("label", { for: id, class: "sr-only" }, label),
    h(
      "div",
      { class: "composer-box" },
      textarea,
      h("div", { class: "composer-actions" }, ...extra, sendButton),
    ),
    h(
      "div",
      { class: "composer-meta" },
      h("span", { id: `${id}-hint`, class: "composer-hint" }, t("composer.hint")),
      counter,
    ),
    note,
    anyway,
  );

  let busy = false;
  let stopHandler = null;
  let blockedByQuota = false;
  let message = "";
  // The text the member chose to send with its contact details in it (see privacy.js).
  let sendAnyway = null;

  textarea.value = readDraft(draftKey);
  const resize = () => {
    textarea.style.height = "auto";
    textarea.style.height = `${Math.min(textarea.scrollHeight, 240)}px`;
  };
  const refreshCount = () => {
    const over = textarea.value.length - maxLength;
    counter.textContent =
      over > 0
        ? t("composer.tooLong", { count: formatNumber(over), max: formatNumber(maxLength) })
        : textarea.value.length > maxLength * 0.9
          ? `${formatNumber(textarea.value.length)} / ${formatNumber(maxLength)}`
          : "";
    counter.classList.toggle("over", over > 0);
  };
  const refresh = () => {
    textarea.disabled = blockedByQuota;
    sendButton.disabled = blockedByQuota && !busy;
    note.textContent = message;
    note.classList.toggle("is-error", Boolean(message));
    if (!message) anyway.hidden = true;
  };
  const warnAbout = (kind, value) => {
    message = t(`privacy.${kind}`);
    refresh();
    anyway.hidden = false;
    anyway.onclick = () => {
      sendAnyway = value;
      message = "";
      refresh();
      form.requestSubmit();
    };
  };

  textarea.addEventListener("input", () => {
    saveDraft(draftKey, textarea.value);
    resize();
    refreshCount();
    if (message && !blockedByQuota) {
      message = "";
      refresh();
    }
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229)
      return;
    event.preventDefault();
    // While an answer is coming, Enter does nothing: stopping it takes the Stop button itself,
    // so a member typing their next question cannot cut the answer short by accident.
    if (!busy) form.requestSubmit();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) {
      stopHandler?.();
      return;
    }
    const value = textarea.value;
    if (!value.trim() || blockedByQuota || value.length > maxLength) {
      textarea.focus();
      return;
    }
    const contact = findContactDetails(value);
    if (contact && sendAnyway !== value) {
      warnAbout(contact, value);
      textarea.focus();
      return;
    }
    sendAnyway = null;
    onSubmit(value);
  });

  // The allowance for today, shown where it matters: the box says when it is used up and when
  // it comes back, in the reader's own time zone.
  const showQuota = (profile) => {
    const quota = profile?.quota;
    const wasBlocked = blockedByQuota;
    blockedByQuota = Boolean(quota && quota.remaining <= 0);
    if (blockedByQuota) {
      message = t("quota.none", { limit: quota.limit, time: formatReset(quota.resets_at) });
    } else if (wasBlocked) {
      message = "";
    }
    refresh();
  };
  onProfile(showQuota, signal);
  showQuota(currentProfile());
  queueMicrotask(() => {
    resize();
    refreshCount();
  });

  return {
    el: form,
    textarea,
    focus() {
      if (!textarea.disabled) textarea.focus();
    },
    /** Take the text out of the box to send it; the draft stays saved until `sent()`. */
    take() {
      const value = textarea.value;
      textarea.value = "";
      resize();
      refreshCount();
      return value;
    },
    restore(value) {
      textarea.value = value;
      saveDraft(draftKey, value);
      resize();
      refreshCount();
    },
    sent() {
      saveDraft(draftKey, textarea.value);
    },
    setBusy(on, onStop) {
      busy = on;
      stopHandler = on ? onStop : null;
      sendButton.replaceChildren(icon(on ? "stop" : "send"));
      sendButton.setAttribute("aria-label", t(on ? "composer.stop" : "composer.send"));
      sendButton.classList.toggle("is-stop", on);
      refresh();
    },
    showError(text) {
      message = text;
      refresh();
    },
    get blocked() {
      return blockedByQuota;
    },
  };
}
