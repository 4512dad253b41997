// The frame around every page: the top bar (brand, today's allowance, language, account) and
// the sidebar (new chat, the public feed, the member's own chats). On a phone the sidebar is a
// drawer behind the menu button.

import * as api from "./api.js";
import * as auth from "./auth.js";
import { h, icon } from "./dom.js";
import { drawerAccount } from "./drawer-account.js";
import { describeError } from "./errors.js";
import { LANGUAGES, formatReset, language, setLanguage, t } from "./i18n.js";
import { current, href, loginPath, navigate } from "./router.js";
import { currentProfile, onChatsChanged, onProfile } from "./state.js";

let shellSignal = null;

export function renderShell() {
  shellSignal?.abort();
  const controller = new AbortController();
  shellSignal = controller;
  const signal = controller.signal;

  document.querySelector(".skip-link").textContent = t("skip");
  const topbar = document.getElementById("topbar");
  const sidebar = document.getElementById("sidebar");
  topbar.replaceChildren(...topbarContent(signal));
  sidebar.replaceChildren(...sidebarContent(signal));
  document.getElementById("footer").replaceChildren(footerContent());
  sidebar.setAttribute("aria-label", t("nav.mine"));
  markCurrent();
}

function topbarContent(signal) {
  const menu = h(
    "button",
    {
      type: "button",
      class: "btn btn-ghost btn-icon menu-button",
      "aria-controls": "sidebar",
      "aria-expanded": "false",
      "aria-label": t("menu.label"),
    },
    icon("menu"),
  );
  menu.addEventListener("click", () => toggleSidebar());
  const brand = h(
    "a",
    { href: href("/"), class: "brand" },
    h("span", { class: "brand-mark", "aria-hidden": "true" }, icon("bolt")),
    h("span", { class: "brand-name" }, t("app.name")),
  );

  const select = h(
    "select",
    { id: "language", class: "select" },
    ...LANGUAGES.map((l) =>
      h("option", { value: l.code, selected: l.code === language(), lang: l.code }, l.name),
    ),
  );
  select.addEventListener("change", () => setLanguage(select.value));
  const languagePicker = h(
    "div",
    { class: "language" },
    h("label", { for: "language", class: "sr-only" }, t("lang.label")),
    icon("globe"),
    select,
  );

  const items = [menu, brand, h("span", { class: "spacer" })];
  if (auth.isLoggedIn()) {
    const quota = h("p", { class: "quota", "aria-live": "polite" });
    const showQuota = (profile) => {
      const q = profile?.quota;
      quota.hidden = !q;
      if (!q) return;
      quota.classList.toggle("is-empty", q.remaining <= 0);
      quota.replaceChildren(
        h(
          "span",
          { class: "quota-full" },
          q.remaining > 0 ? t("quota.left", q) : t("quota.noneShort"),
        ),
        h("span", { class: "quota-short" }, t("quota.short", q)),
      );
      quota.title =
        q.remaining > 0 ? "" : t("quota.none", { limit: q.limit, time: formatReset(q.resets_at) });
    };
    onProfile(showQuota, signal);
    showQuota(currentProfile());
    // On a phone the drawer has it instead, with its words (drawer-account.js).
    const logout = h(
      "button",
      { type: "button", class: "btn btn-ghost hide-narrow" },
      icon("logout"),
      h("span", {}, t("auth.logout")),
    );
    logout.addEventListener("click", () => auth.logOut());
    const who = h("span", { class: "who hide-narrow" });
    const showWho = (profile) => {
      who.textContent = profile ? profile.nickname : "";
      who.title = profile ? t("auth.signedInAs", { nickname: profile.nickname }) : "";
    };
    onProfile(showWho, signal);
    showWho(currentProfile());
    // Named by aria-label too, like "Log out": on a phone only the icon shows.
    const settings = h(
      "a",
      {
        href: href("/settings"),
        class: "btn btn-ghost",
        "aria-label": t("nav.settings"),
        "data-path": "/settings",
      },
      icon("settings"),
      h("span", { class: "hide-narrow" }, t("nav.settings")),
    );
    items.push(quota, languagePicker, who, settings, logout);
  } else {
    items.push(
      languagePicker,
      h(
        "a",
        { href: href("/login"), class: "btn btn-ghost", "data-auth-link": "/login" },
        t("auth.login"),
      ),
      h(
        "a",
        { href: href("/signup"), class: "btn btn-primary", "data-auth-link": "/signup" },
        t("auth.signup"),
      ),
    );
  }
  return items;
}

/** On every page: the terms and the privacy policy. */
function footerContent() {
  return h(
    "nav",
    { class: "footer-nav", "aria-label": t("footer.label") },
    h("a", { href: href("/terms"), "data-path": "/terms" }, t("legal.terms")),
    h("a", { href: href("/privacy"), "data-path": "/privacy" }, t("legal.privacy")),
  );
}

function sidebarContent(signal) {
  const close = h(
    "button",
    { type: "button", class: "btn btn-ghost btn-icon drawer-close", "aria-label": t("menu.close") },
    icon("close"),
  );
  close.addEventListener("click", () => toggleSidebar(false));
  const nav = h(
    "nav",
    { class: "side-nav", "aria-label": t("app.name") },
    h(
      "a",
      { href: href("/new"), class: "btn btn-primary btn-block", "data-path": "/new" },
      icon("plus"),
      h("span", {}, t("nav.new")),
    ),
    h(
      "a",
      { href: href("/"), class: "side-link", "data-path": "/" },
      icon("feed"),
      h("span", {}, t("nav.feed")),
    ),
  );
  const heading = h("h2", { class: "side-heading", id: "my-chats-heading" }, t("nav.mine"));
  const body = h("div", { class: "side-chats" });
  if (auth.isLoggedIn()) {
    loadMine(body, signal);
    onChatsChanged(() => loadMine(body, signal), signal);
  } else {
    body.append(h("p", { class: "muted side-note" }, t("nav.mine.anon")));
  }
  return [
    h("div", { class: "side-top" }, close),
    nav,
    h("section", { class: "side-section", "aria-labelledby": "my-chats-heading" }, heading, body),
    ...(auth.isLoggedIn() ? [drawerAccount(signal)] : []),
  ];
}

function chatLink(chat) {
  const path = `/chats/${chat.id}`;
  return h(
    "li",
    {},
    h(
      "a",
      {
        href: href(path),
        class: "side-link side-chat",
        "data-path": path,
        // The journey, on hover: the sidebar has room for the title alone.
        title: chat.journey
          ? `${chat.title}\n${chat.journey.from} → ${chat.journey.to}`
          : chat.title,
      },
      icon("chat"),
      h("span", { class: "ellipsis" }, chat.title),
      chat.hidden
        ? h(
            "span",
            { class: "tag tag-hidden", title: t(`chat.hidden.reason.${chat.hidden_reason}`) },
            t("chat.hidden.badge"),
          )
        : null,
    ),
  );
}

async function loadMine(body, signal) {
  const list = h("ul", { class: "side-list" });
  const more = h(
    "button",
    { type: "button", class: "btn btn-ghost btn-small", hidden: true },
    t("nav.more"),
  );
  let next = null;
  const page = async () => {
    try {
      const result = await api.myChats(next);
      if (signal.aborted) return;
      list.append(...result.results.map(chatLink));
      next = result.next;
      more.hidden = !next;
      if (!list.children.length) {
        body.replaceChildren(h("p", { class: "muted side-note" }, t("nav.mine.empty")));
      } else if (!list.isConnected) {
        body.replaceChildren(list, more);
      }
      markCurrent();
    } catch (error) {
      if (signal.aborted || error instanceof api.SessionExpired) return;
      body.replaceChildren(
        h("p", { class: "error-text side-note", role: "alert" }, describeError(error)),
      );
    }
  };
  more.addEventListener("click", page);
  await page();
}

/** Mark the sidebar link of the page being shown (aria-current), and close the drawer. */
export function markCurrent() {
  const { path, full, query } = current();
  // "Log in" brings the visitor back to the page they were reading.
  for (const link of document.querySelectorAll("[data-auth-link]")) {
    const next = /^\/(login|signup)/.test(path) ? (query.get("next") ?? "/") : full;
    const target = loginPath(next).replace("/login", link.dataset.authLink);
    link.setAttribute("href", href(target));
  }
  for (const link of document.querySelectorAll(
    "#sidebar [data-path], #topbar [data-path], #footer [data-path]",
  )) {
    if (link.dataset.path === path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

export function toggleSidebar(open) {
  const app = document.getElementById("app");
  const show = open ?? !app.classList.contains("drawer-open");
  app.classList.toggle("drawer-open", show);
  const menu = document.querySelector(".menu-button");
  menu?.setAttribute("aria-expanded", String(show));
  if (show) document.querySelector("#sidebar a, #sidebar button:not(.drawer-close)")?.focus();
  else if (open === false && document.getElementById("sidebar").contains(document.activeElement))
    menu?.focus();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.getElementById("app")?.classList.contains("drawer-open"))
    toggleSidebar(false);
});

export function goToLogin(next) {
  navigate(loginPath(next), { replace: true });
}
