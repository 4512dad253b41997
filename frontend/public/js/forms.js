// Form fields shared by the account pages and the settings page: a labelled input with its hint
// and its error, and the API's per-field errors shown at their fields.

import { h } from "./dom.js";
import { t, translateServerMessage } from "./i18n.js";

export const PASSWORD_MIN = 10; // the server's MinimumLengthValidator

export function field({
  name,
  label,
  type = "text",
  autocomplete,
  required = true,
  hint,
  attrs = {},
}) {
  const id = `field-${name}`;
  const input = h("input", {
    id,
    name,
    type,
    autocomplete,
    required,
    "aria-describedby": hint ? `${id}-hint` : null,
    ...attrs,
  });
  const error = h("p", { id: `${id}-error`, class: "field-error", hidden: true });
  return {
    name,
    input,
    error,
    el: h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      input,
      hint ? h("p", { id: `${id}-hint`, class: "field-hint" }, hint) : null,
      error,
    ),
  };
}

/** What can be told before sending, in the server's own words: a required field left empty, a
 * value under its `minlength` (the password's minimum). {field: [messages]} or null. */
export function checkFields(fields) {
  const errors = {};
  for (const { name, input } of fields) {
    if (input.type === "checkbox") continue;
    const secret = /password/.test(input.autocomplete);
    const value = secret ? input.value : input.value.trim();
    if (input.required && !value) errors[name] = [t("auth.required")];
    else if (value && input.minLength > 0 && value.length < input.minLength) {
      errors[name] = [
        secret ? t("auth.password.tooShort", { min: input.minLength }) : t("auth.required"),
      ];
    }
  }
  return Object.keys(errors).length ? errors : null;
}

/** Scroll `el` into view, with `above` (the form's title) still in view when both fit on the
 * screen; below the sticky top bar either way. */
function reveal(el, above) {
  const bar = document.getElementById("topbar")?.getBoundingClientRect().bottom ?? 0;
  const top = (above ?? el).getBoundingClientRect().top;
  const bottom = el.getBoundingClientRect().bottom;
  if (top >= bar && bottom <= window.innerHeight) return;
  if (bottom - top <= window.innerHeight - bar - 32) window.scrollBy(0, top - bar - 16);
  else el.scrollIntoView({ block: "center" });
}

/** Show `errors` ({field: [messages]}, as the API gives them) at their fields, clear the others,
 * and move focus to the first field in error, keeping `keepInView` (a title) on screen when it
 * fits. Returns whether any field had one. */
export function showFieldErrors(fields, errors, { keepInView } = {}) {
  let first = null;
  for (const f of fields) {
    const messages = errors?.[f.name];
    f.error.hidden = !messages;
    f.error.textContent = messages ? messages.map(translateServerMessage).join(" ") : "";
    const described = (f.input.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .filter((id) => id && id !== f.error.id);
    if (messages) {
      f.input.setAttribute("aria-invalid", "true");
      described.push(f.error.id);
      first ??= f.input;
    } else {
      f.input.removeAttribute("aria-invalid");
    }
    if (described.length) f.input.setAttribute("aria-describedby", described.join(" "));
    else f.input.removeAttribute("aria-describedby");
  }
  if (first) {
    first.focus({ preventScroll: true });
    reveal(first, keepInView);
  }
  return first !== null;
}
