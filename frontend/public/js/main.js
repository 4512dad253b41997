// Starts the app: the frame, the routes, and what happens when the session or the language
// changes.

import * as auth from "./auth.js";
import { verificationBanner } from "./banner.js";
import { focusView } from "./dom.js";
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
