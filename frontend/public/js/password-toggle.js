// "Show password" beside a password field: a toggle button (aria-pressed says whether the
// password is showing), named by its own words so the field keeps its label alone.

import { h } from "./dom.js";
import { t } from "./i18n.js";

/** Add the toggle to a field made by forms.field(); returns the field. */
export function passwordToggle(field) {
  const { input } = field;
  const button = h(
    "button",
    {
      type: "button",
      class: "btn btn-ghost btn-small password-toggle",
      "aria-pressed": "false",
      "aria-controls": input.id,
    },
    t("auth.password.show"),
  );
  button.addEventListener("click", () => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("aria-pressed", String(show));
  });
  const box = h("div", { class: "password-box" });
  input.replaceWith(box);
  box.append(input, button);
  return field;
}
