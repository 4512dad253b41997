// Form fields shared by the account pages and the settings page: a labelled input with its hint
// and its error, and the API's per-field errors shown at their fields.

import { h } from "./dom.js";
import { translateServerMessage } from "./i18n.js";

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

/** Show `errors` ({field: [messages]}, as the API gives them) at their fields, clear the others,
 * and move focus to the first field in error. Returns whether any field had one. */
export function showFieldErrors(fields, errors) {
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
  first?.focus();
  return first !== null;
}
