// Small pieces shared by the views: a confirmation dialog, a passing notice, a message that
// waits for the next page (flash), and page titles.

import { announcePage } from "./announce.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

/** Show `children` in a modal <dialog> named by the element whose id is `labelledBy`. A native
 * <dialog> keeps focus inside itself; Escape closes it as the returned `close()` does, and focus
 * goes back to `returnTo` (what had it when the dialog opened), when it is still there to take
 * it. `onClose` runs once, however it closed. */
export function openDialog(
  children,
  { labelledBy, className = "dialog", returnTo = document.activeElement, onClose } = {},
) {
  const dialog = h("dialog", { class: className, "aria-labelledby": labelledBy }, children);
  const close = () => {
    if (!dialog.isConnected) return;
    dialog.close();
    dialog.remove();
    if (returnTo instanceof HTMLElement && returnTo.isConnected && !returnTo.disabled) {
      returnTo.focus();
    }
    onClose?.();
  };
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return close;
}

/** Ask before something that cannot be undone. Resolves to true/false. */
export function confirmDialog({ title, body, confirmLabel }) {
  return new Promise((resolve) => {
    const titleId = "confirm-title";
    const cancel = h("button", { type: "button", class: "btn", value: "cancel" }, t("chat.cancel"));
    const confirm = h(
      "button",
      { type: "button", class: "btn btn-danger", value: "confirm" },
      confirmLabel,
    );
    let answer = false;
    const close = openDialog(
      [
        h("h2", { id: titleId }, title),
        h("p", {}, body),
        h("div", { class: "dialog-actions" }, cancel, confirm),
      ],
      { labelledBy: titleId, onClose: () => resolve(answer) },
    );
    cancel.addEventListener("click", close);
    confirm.addEventListener("click", () => {
      answer = true;
      close();
    });
    cancel.focus(); // the safe choice has the focus
  });
}

let toastTimer = null;

/** A short notice at the bottom of the screen, also read out by screen readers. */
export function notify(text) {
  const region = document.getElementById("toast");
  if (!region) return;
  region.textContent = text;
  region.classList.add("is-visible");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => region.classList.remove("is-visible"), 5000);
}

let pending = null;

/** A message for the next page drawn (e.g. "your session has ended" on the login page). */
export function flash(text) {
  pending = text;
}

export function takeFlash() {
  const text = pending;
  pending = null;
  return text;
}

export function setTitle(text) {
  document.title = text ? `${text} · ${t("app.name")}` : t("app.name");
  announcePage(text || t("app.name"));
}

export function loading(text) {
  return h(
    "p",
    { class: "loading", role: "status" },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    text,
  );
}

export function errorBox(text) {
  return h("div", { class: "error-box", role: "alert" }, h("p", {}, text));
}

/** Save `blob` as the file `name` through a link of its own (no request leaves the page). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
