// Thumbs up and down under the coach's answers (README, "Rating answers"). Members only: a
// visitor sees no buttons. A click rates, a click on the other button changes the rating, a click
// on the pressed one takes it back; the server's answer decides what shows as pressed.

import * as api from "./api.js";
import { isLoggedIn } from "./auth.js";
import { h, icon } from "./dom.js";
import { describeError } from "./errors.js";
import { t } from "./i18n.js";

/** Whether the turn has an answer of its own to rate (the server's rule: completed, or stopped
 * after some text came). */
function rateable(turn) {
  return turn.status === "completed" || (turn.status === "stopped" && Boolean(turn.answer));
}

/** The buttons for `turn` of chat `chatId`, or null when there is nothing to rate or nobody to
 * rate it. */
export function ratingButtons(chatId, turn) {
  if (!chatId || !turn?.id || !isLoggedIn() || !rateable(turn)) return null;
  let mine = turn.my_rating ?? null;
  const error = h("p", { class: "error-text rating-error", role: "alert" });
  const button = (value, iconName, label) =>
    h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-small btn-rating",
        "data-rating": String(value),
        "aria-label": label,
        title: label,
        onclick: () => choose(value),
      },
      icon(iconName),
    );
  const up = button(1, "thumbUp", t("feedback.up"));
  const down = button(-1, "thumbDown", t("feedback.down"));
  const group = h(
    "div",
    { class: "rating", role: "group", "aria-label": t("feedback.label") },
    up,
    down,
    error,
  );
  const show = () => {
    up.setAttribute("aria-pressed", String(mine === 1));
    down.setAttribute("aria-pressed", String(mine === -1));
  };
  const choose = async (value) => {
    error.textContent = "";
    up.disabled = down.disabled = true;
    try {
      if (mine === value) {
        await api.unrateAnswer(chatId, turn.id);
        mine = null;
      } else {
        mine = (await api.rateAnswer(chatId, turn.id, value)).my_rating;
      }
    } catch (failure) {
      error.textContent = describeError(failure);
    } finally {
      up.disabled = down.disabled = false;
      show();
    }
  };
  show();
  return group;
}
