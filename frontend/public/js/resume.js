// Answers that survive leaving: a pending turn is followed from wherever it is being written
// (this tab before a reload, another tab or device, another server process): the text so far,
// then the rest as it comes, then the stored turn. A dropped connection is followed again.

import * as api from "./api.js";
import { streamingAnswer } from "./conversation.js";
import { describeError } from "./errors.js";
import { ApiError } from "./http.js";

const WAIT_MS = [500, 1000, 2000, 5000];

/**
 * The bubble of a pending turn, filling in as its answer is written, until `signal` aborts (the
 * page changed). `onSettled(turn)` gets the stored turn; `onRetry` is offered if it failed.
 */
export function followedAnswer(chatId, turnId, { signal, onRetry, onSettled }) {
  const answer = streamingAnswer();
  answer.el.dataset.turnId = turnId;
  follow(answer, chatId, turnId, { signal, onRetry, onSettled });
  return answer.el;
}

/**
 * Follow the turn into `answer`, which already shows `shown` (the start of the answer: a stream
 * cut in this tab keeps what it drew). Resolves to the stored turn, or null.
 */
export async function follow(answer, chatId, turnId, { signal, onRetry, onSettled, shown = "" }) {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    // Each attachment starts with all the text so far: draw only what is not shown yet.
    let received = "";
    try {
      const turn = await api.followTurn(chatId, turnId, {
        signal,
        onDelta(piece) {
          received += piece;
          if (received.length > shown.length) {
            answer.append(received.slice(shown.length));
            shown = received;
          }
        },
      });
      answer.finish(turn, { onRetry: turn.status === "failed" ? onRetry : undefined, chatId });
      onSettled?.(turn);
      return turn;
    } catch (error) {
      if (error?.name === "AbortError" || signal.aborted) return;
      const dropped = error instanceof ApiError && (error.status === 0 || error.status >= 500);
      if (!dropped) {
        answer.fail(describeError(error));
        onSettled?.(null);
        return null;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS[Math.min(attempt, 3)]));
  }
  return null;
}
