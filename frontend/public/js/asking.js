// Asking the coach and showing the answer as it arrives, with a stop button. Shared by a new
// chat (the intake) and a follow-up message.

import * as api from "./api.js";
import { streamingAnswer, userMessage } from "./conversation.js";
import { describeError } from "./errors.js";
import { ApiError } from "./http.js";
import { follow } from "./resume.js";
import { current, navigate } from "./router.js";
import { chatsChanged, loadProfile, quotaExhausted } from "./state.js";
import { tellTabs } from "./tabs.js";

/** Did the API keep the question (as a failed turn) even though there is no answer? */
export function questionWasStored(error) {
  // Errors inside a stream come after the turn was created; a model failure before the stream
  // names the turn it stored.
  return error instanceof ApiError && (error.status === 0 || Boolean(error.body?.turn_id));
}

/**
 * Send `question` with `send(handlers)` (api.sendMessage or api.startChat), drawing the answer
 * in `list` and turning the composer's send button into a stop button meanwhile.
 * Resolves to { streamed, result } when an answer (or a stop) came back, or null.
 */
export async function ask({
  list,
  composer,
  question,
  send,
  chatId,
  onChat,
  onRetry,
  showQuestion = true,
}) {
  const bubble = showQuestion ? userMessage(question) : null;
  const answer = streamingAnswer();
  if (bubble) list.append(bubble);
  list.append(answer.el);
  answer.el.scrollIntoView({ block: "end" });

  const controller = new AbortController();
  let ids = { chat_id: chatId ?? null, turn_id: null };
  const stop = async () => {
    if (ids.turn_id) {
      try {
        // The server ends the stream with what was written so far, marked `stopped`.
        await api.stopTurn(ids.chat_id, ids.turn_id);
        return;
      } catch {
        // No stop endpoint, or too late: stop listening instead.
      }
    }
    controller.abort();
  };
  composer.setBusy(true, stop);

  let outcome = null;
  try {
    outcome = await send({
      signal: controller.signal,
      onChat(event) {
        ids = { chat_id: event.chat_id, turn_id: event.turn_id };
        // Stored: the words leave the draft (a reload now follows the answer, it does not offer
        // them again), and the other tabs learn of the turn and the request it took.
        composer.sent();
        tellTabs("asked", event.chat_id);
        onChat?.(event);
      },
      onDelta(text) {
        answer.append(text);
        nearBottom() && answer.el.scrollIntoView({ block: "end" });
      },
    });
    composer.sent();
    const turn = outcome.streamed ? outcome.result : lastTurn(outcome.result);
    if (turn) {
      const onFailed = turn.status === "failed" ? onRetry : undefined;
      answer.finish(turn, { onRetry: onFailed, chatId: ids.chat_id ?? outcome.result?.id });
    }
  } catch (error) {
    if (error?.name === "AbortError") {
      composer.sent();
      answer.stopped();
      outcome = { streamed: false, result: null, stopped: true };
    } else if (error instanceof api.SessionExpired) {
      // main.js is already on its way to the login page; the draft keeps the question.
      composer.restore(question);
    } else if (error instanceof ApiError && error.code === "stream_cut" && ids.turn_id) {
      // The way to this tab was cut, not necessarily the answer: follow it from wherever it
      // is being written, from what this tab already shows, until it is stored.
      composer.sent();
      const leaving = new AbortController();
      window.addEventListener("hashchange", () => leaving.abort(), { once: true });
      const turn = await follow(answer, ids.chat_id, ids.turn_id, {
        signal: leaving.signal,
        onRetry,
        shown: answer.text,
      });
      outcome = { streamed: true, result: turn, error: turn ? undefined : error };
    } else if (error instanceof ApiError && error.code === "stream_cut") {
      composer.sent();
      answer.interrupted(describeError(error), reloadChat);
      outcome = { streamed: false, result: null, error };
    } else if (questionWasStored(error)) {
      composer.sent();
      answer.fail(describeError(error), onRetry);
      outcome = { streamed: false, result: null, error };
    } else {
      // Never reached the model (quota, invalid, network...): give the words back to edit.
      bubble?.remove();
      answer.el.remove();
      composer.restore(question);
      composer.showError(describeError(error));
      if (error instanceof ApiError && error.code === "daily_quota_exceeded")
        quotaExhausted(error.body);
      // The terms changed (or were never agreed to): the consent step, then back here.
      if (error instanceof ApiError && error.code === "consent_required")
        navigate(`/consent?next=${encodeURIComponent(current().full)}`);
      outcome = { streamed: false, result: null, error };
    }
  } finally {
    if (answer.el.isConnected) answer.el.scrollIntoView({ block: "nearest" });
    composer.setBusy(false);
    composer.focus();
    loadProfile().catch(() => {});
    chatsChanged();
    if (ids.turn_id) tellTabs("answered", ids.chat_id);
  }
  return outcome;
}

/** Draw the current page (the chat) again from what the server stored. */
export function reloadChat() {
  navigate(current().full, { replace: true });
}

/** A JSON (non-streamed) answer is the turn itself, or a whole new chat with its turns. */
function lastTurn(result) {
  if (result?.turns) return result.turns.at(-1);
  return result;
}

function nearBottom() {
  return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
}
