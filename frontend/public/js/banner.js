// The reminder shown above every page while the member's email is not verified yet, with a
// button that mails the link again. Chat requests are refused until then (`email_unverified`),
// and the message the page shows for that points here.

import * as api from "./api.js";
import * as auth from "./auth.js";
import { h } from "./dom.js";
import { describeError } from "./errors.js";
import { t } from "./i18n.js";
import { currentProfile, onProfile } from "./state.js";

/** The banner for the page being drawn; it follows the profile until `signal` aborts. */
export function verificationBanner(signal) {
  const box = h("div", { class: "verify-banner", hidden: true });
  const draw = (profile) => {
    const show = auth.isLoggedIn() && profile?.email_verified === false;
    box.hidden = !show;
    if (!show) {
      box.replaceChildren();
      return;
    }
    if (box.childElementCount) return;
    const result = h("span", { class: "verify-banner-result", role: "status" });
    const again = h("button", { type: "button", class: "btn btn-small" }, t("verify.banner.again"));
    again.addEventListener("click", async () => {
      again.disabled = true;
      result.textContent = "";
      result.removeAttribute("role");
      try {
        await api.resendVerification();
        result.setAttribute("role", "status");
        result.textContent = t("verify.sent");
      } catch (error) {
        result.setAttribute("role", "alert");
        result.textContent = describeError(error);
      } finally {
        again.disabled = false;
      }
    });
    box.append(h("p", {}, t("verify.banner", { email: profile.email })), again, result);
  };
  onProfile(draw, signal);
  draw(currentProfile());
  return box;
}
