// Starts the app: the frame, the routes, and what happens when the session or the language
// changes.

import * as auth from "./auth.js";
import { verificationBanner } from "./banner.js";
import { allowHeadingFocus, focusView } from "./dom.js";
import { apiOrigin } from "./http.js";
import { onLanguageChange, t } from "./i18n.js";
import * as router from "./router.js";
import { markCurrent, renderShell, toggleSidebar } from "./shell.js";
import { currentProfile, forgetProfile, loadProfile } from "./state.js";
import { flash, notify } from "./ui.js";
import {
  consentView,
  forgotPasswordView,
  loginView,
  resetPasswordView,
  signupView,
  verifyEmailView,
} from "./views/account.js";
import { chatView } from "./views/chat.js";
import { feedView } from "./views/feed.js";
import { privacyView, termsView } from "./views/legal.js";
import { newChatView } from "./views/new-chat.js";
import { notFoundView } from "./views/not-found.js";
import { settingsView } from "./views/settings.js";

router.route(/^\/$/, feedView);
router.route(/^\/chats\/(\d{1,18})$/, chatView);
router.route(/^\/new$/, newChatView, { auth: true });
router.route(/^\/login$/, loginView);
router.route(/^\/signup$/, signupView);
router.route(/^\/forgot-password$/, forgotPasswordView);
router.route(/^\/reset-password$/, resetPasswordView);
router.route(/^\/verify-email$/, verifyEmailView);
router.route(/^\/settings$/, settingsView, { auth: true });
router.route(/^\/terms$/, termsView);
router.route(/^\/privacy$/, privacyView);
router.route(/^\/consent$/, consentView, { auth: true });

const main = document.getElementById("main");
let viewController = null;
// A link inside the app was followed (the click comes just before the hash changes).
let followedLink = false;
document.addEventListener(
  "click",
  (event) => {
    const link = event.target instanceof Element && event.target.closest('a[href^="#/"]');
    // Not a link opening another tab (the terms beside a checkbox), nor one clicked with a key.
    if (link && !link.target && !(event.ctrlKey || event.metaKey || event.shiftKey)) {
      followedLink = true;
    }
  },
  { capture: true },
);

/** The usual single-page-app focus rule: a link the member followed takes focus to the new
 * page's heading, as a new document would put them at its content. Anything else (the first
 * load, back and forward, a redirect) puts focus back at the start of the document, so the next
 * Tab reaches the skip link first instead of continuing from where a removed element was. The
 * page's title is announced either way (ui.setTitle). */
function placeFocus() {
  allowHeadingFocus(followedLink);
  followedLink = false;
  const focused = document.activeElement;
  // Focus in the frame (the sidebar's link, the language picker) stays where it is.
  if (focused && focused !== document.body && !main.contains(focused)) return;
  document.body.setAttribute("tabindex", "-1");
  document.body.focus({ preventScroll: true });
  document.body.removeAttribute("tabindex");
}

async function render(match) {
  viewController?.abort();
  viewController = new AbortController();
  toggleSidebar(false);
  // Pages that need a member send visitors to log in first, and back here afterwards.
  if (match.auth && !auth.isLoggedIn()) {
    flash(t("auth.loginNeeded"));
    router.navigate(router.loginPath(match.full), { replace: true });
    return;
  }
  // Starting a chat needs the member's consent (a provider login starts without): ask first.
  if (match.path === "/new" && currentProfile()?.consent_required) {
    router.navigate(`/consent?next=${encodeURIComponent(match.full)}`, { replace: true });
    return;
  }
  placeFocus();
  main.replaceChildren();
  main.dataset.view = match.path.split("/")[1] || "feed";
  // The verify page answers the question the banner asks; the settings page has the same
  // button in its email section.
  if (match.path !== "/verify-email" && match.path !== "/settings") {
    main.append(verificationBanner(viewController.signal));
  }
  markCurrent();
  const view = match.view ?? notFoundView;
  try {
    await view({
      main,
      params: match.params,
      query: match.query,
      path: match.full,
      signal: viewController.signal,
    });
  } catch (error) {
    // A view that throws is a bug; leave a trace for whoever debugs it, not for the reader.
    console.error(error);
  }
}

auth.onAuthChange(async (reason) => {
  if (reason === "login") {
    await loadProfile().catch(() => {});
    renderShell();
    return;
  }
  forgetProfile();
  renderShell();
  const here = router.current();
  if (reason === "expired") {
    // The refresh token is gone too: log in again and come back to the same page, where the
    // draft of what was being typed is waiting.
    flash(t("auth.expired"));
    router.navigate(router.loginPath(here.full), { replace: true });
  } else if (reason === "logout") {
    notify(t("auth.loggedOut"));
    router.navigate("/", { replace: true });
  }
});

onLanguageChange(() => {
  renderShell();
  render(router.resolve());
});

document.getElementById("backdrop").addEventListener("click", () => toggleSidebar(false));

// The skip link moves focus without touching the hash the router reads.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  focusView(main);
});

// A deployment whose policy (index.html) does not allow its API (config.js) gets told why.
document.addEventListener("securitypolicyviolation", (event) => {
  if (event.effectiveDirective === "connect-src") {
    console.error(t("errors.csp", { origin: apiOrigin() }));
  }
});

renderShell();
if (auth.isLoggedIn()) await loadProfile().catch(() => {});
router.start(render);
