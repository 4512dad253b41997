// The foot of the phone's drawer: who is logged in and a "Log out" button with its words. On a
// narrow screen the top bar has no room for either (css hides this block on wider ones, where
// the top bar shows both).

import * as auth from "./auth.js";
import { h, icon } from "./dom.js";
import { t } from "./i18n.js";
import { currentProfile, onProfile } from "./state.js";

export function drawerAccount(signal) {
  const who = h("p", { class: "drawer-who" });
  const show = (profile) => {
    who.textContent = profile ? t("drawer.signedInAs", { nickname: profile.nickname }) : "";
  };
  onProfile(show, signal);
  show(currentProfile());
  const logout = h(
    "button",
    { type: "button", class: "btn btn-block drawer-logout" },
    icon("logout"),
    h("span", {}, t("auth.logout")),
  );
  logout.addEventListener("click", () => auth.logOut());
  return h("div", { class: "drawer-account" }, who, logout);
}
