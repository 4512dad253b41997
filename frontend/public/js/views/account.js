// Log in and sign up. Both return the member to where they were headed (`?next=`, checked by
// router.safeNext) or to the main page.

import * as api from "../api.js";
import * as auth from "../auth.js";
import { focusView, h } from "../dom.js";
import { describeError } from "../errors.js";
import { PASSWORD_MIN, checkFields, field, showFieldErrors } from "../forms.js";
import { ApiError } from "../http.js";
import { t, tParts } from "../i18n.js";
import { passwordToggle } from "../password-toggle.js";
import { href, navigate, rewrite, safeNext } from "../router.js";
import { currentProfile, loadProfile } from "../state.js";
import { flash, loading, setTitle, takeFlash } from "../ui.js";

/** A checkbox inside its label, shaped like field()'s result so showFieldErrors finds both. */
function checkbox({ name, label, hint }) {
  const id = `field-${name}`;
  const input = h("input", {
    id,
    name,
    type: "checkbox",
    "aria-describedby": hint ? `${id}-hint` : null,
  });
  const box = h("label", { for: id }, input, " ", label);
  return labelled(name, input, hint, "field field-check", box);
}

/** The field's block: what `parts` draws, then its hint and a place for its error. */
function labelled(name, input, hint, className, ...parts) {
  const id = `field-${name}`;
  const error = h("p", { id: `${id}-error`, class: "field-error", hidden: true });
  const note = hint ? h("p", { id: `${id}-hint`, class: "field-hint" }, hint) : null;
  return { name, input, error, el: h("div", { class: className }, ...parts, note, error) };
}

/** The two statements sign-up and the consent step ask for: 14 or older, and the terms and
 * privacy policy (linked, opening beside the form) accepted. */
function consentBoxes() {
  const page = (path, text) =>
    h("a", { href: href(path), target: "_blank", rel: "noopener" }, text);
  return [
    checkbox({ name: "over_14", label: t("consent.over14") }),
    // The texts are linked beside the box rather than inside its label, which stays one
    // sentence for screen readers.
    checkbox({
      name: "accept_terms",
      label: t("consent.terms"),
      hint: tParts("consent.read", {
        terms: page("/terms", t("consent.termsLink")),
        privacy: page("/privacy", t("consent.privacyLink")),
      }),
    }),
  ];
}

function consentsOf(boxes) {
  return Object.fromEntries(boxes.map((box) => [box.name, box.input.checked]));
}

/** A form page. Errors show at their fields (checked here first where that is possible, then
 * as the API names them); the alert above the button is for what belongs to no field.
 * `onError` places focus after an error that is not a field's (the first field by default). */
function formPage({
  title,
  lead,
  fields,
  content,
  submitLabel,
  busyLabel,
  footer,
  onSubmit,
  onError,
}) {
  const heading = h("h1", {}, title);
  const alert = h("div", { class: "form-alert", role: "alert" });
  const notice = takeFlash();
  const button = h("button", { type: "submit", class: "btn btn-primary btn-block" }, submitLabel);
  const form = h(
    "form",
    { class: "form", method: "post", novalidate: true },
    content,
    alert,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.replaceChildren();
    if (showFieldErrors(fields, checkFields(fields), { keepInView: heading })) return;
    button.disabled = true;
    button.textContent = busyLabel;
    try {
      await onSubmit();
    } catch (error) {
      const fieldErrors = (error instanceof ApiError && error.body?.errors) || null;
      const atFields = showFieldErrors(fields, fieldErrors, { keepInView: heading });
      const elsewhere = Object.keys(fieldErrors ?? {}).some(
        (name) => !fields.some((f) => f.name === name),
      );
      if (!atFields || elsewhere) alert.replaceChildren(h("p", {}, describeError(error)));
      if (!atFields) (onError ?? (() => fields[0].input.focus()))(error);
    } finally {
      button.disabled = false;
      button.textContent = submitLabel;
    }
  });
  const page = h(
    "section",
    { class: "page page-form" },
    h(
      "div",
      { class: "form-card" },
      heading,
      h("p", { class: "lead" }, lead),
      notice ? h("p", { class: "notice", role: "status" }, notice) : null,
      form,
      h("p", { class: "form-footer" }, footer),
    ),
  );
  return { page, heading, alert };
}

/** "Continue with GitHub" / "Continue with Kakao", for the providers the server offers; nothing
 * while it is asked, nor when it cannot say. Plain links: the login is a trip through the
 * provider's pages and back, not a request from this page. */
function providerButtons(query) {
  const box = h("div", { class: "oauth-buttons", hidden: true });
  api
    .loginProviders()
    .then(({ providers = [] }) => {
      const known = providers.filter((p) => p === "github" || p === "kakao");
      if (!known.length) return;
      box.append(
        ...known.map((provider) =>
          h(
            "a",
            {
              class: `btn btn-block btn-oauth btn-${provider}`,
              href: auth.providerLoginUrl(provider, safeNext(query.get("next"))),
              dataset: { provider },
            },
            provider === "kakao" ? kakaoSymbol() : null,
            h("span", {}, t(`auth.oauth.${provider}`)),
          ),
        ),
        h("p", { class: "oauth-or" }, h("span", {}, t("auth.oauth.or"))),
      );
      box.hidden = false;
    })
    .catch(() => {});
  return box;
}

/** Kakao's speech-bubble symbol, black, as its login design guide asks. Decorative: the
 * button's words name it. */
function kakaoSymbol() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "kakao-symbol");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const bubble = document.createElementNS("http://www.w3.org/2000/svg", "path");
  bubble.setAttribute(
    "d",
    "M12 3.2C6.4 3.2 1.9 6.7 1.9 11c0 2.8 1.9 5.3 4.7 6.7l-1.2 4.4c-.1.4.3.7.6.5l5.2-3.4c.3 0 .5 0 .8 0 5.6 0 10.1-3.5 10.1-7.8S17.6 3.2 12 3.2z",
  );
  bubble.setAttribute("fill", "#000");
  svg.append(bubble);
  return svg;
}

/** Back from a provider: `oauth_code` (trade it for tokens) or `oauth_error` (say why not).
 * Either is taken out of the address at once, so a reload or the history never replays it. */
async function finishProviderLogin(main, query) {
  const code = query.get("oauth_code");
  const next = query.get("next");
  rewrite(next ? `/login?next=${encodeURIComponent(safeNext(next))}` : "/login");
  const status = loading(t("auth.oauth.busy"));
  main.append(h("section", { class: "page page-form" }, status));
  try {
    await auth.logInWithCode(code);
    await loadProfile();
    main.replaceChildren();
    done(query);
  } catch (error) {
    main.replaceChildren();
    loginView({ main, query: new URLSearchParams(next ? { next } : {}), failure: error });
  }
}

function done(query) {
  const next = safeNext(query.get("next"));
  // A member made by a provider login (or anyone after the terms changed) agrees first.
  if (currentProfile()?.consent_required) {
    navigate(next === "/" ? "/consent" : `/consent?next=${encodeURIComponent(next)}`, {
      replace: true,
    });
    return;
  }
  navigate(next, { replace: true });
}

function withNext(path, query) {
  const next = query.get("next");
  return next ? `${path}?next=${encodeURIComponent(safeNext(next))}` : path;
}

export function loginView({ main, query, failure }) {
  if (query.get("oauth_code")) return finishProviderLogin(main, query);
  const providerError = query.get("oauth_error");
  if (providerError) {
    const next = query.get("next");
    rewrite(next ? `/login?next=${encodeURIComponent(safeNext(next))}` : "/login");
  }
  if (auth.isLoggedIn()) return done(query);
  setTitle(t("auth.login.title"));
  const email = field({
    name: "email",
    label: t("auth.email"),
    type: "email",
    autocomplete: "username",
    attrs: { value: query.get("email") ?? "" },
  });
  const password = passwordToggle(
    field({
      name: "password",
      label: t("auth.password"),
      type: "password",
      autocomplete: "current-password",
    }),
  );
  const { page, heading, alert } = formPage({
    title: t("auth.login.title"),
    lead: t("auth.login.lead"),
    fields: [email, password],
    content: [
      providerButtons(query),
      email.el,
      password.el,
      h(
        "p",
        { class: "field-hint" },
        h("a", { href: href("/forgot-password") }, t("auth.forgot.link")),
      ),
    ],
    submitLabel: t("auth.login.submit"),
    busyLabel: t("auth.login.busy"),
    footer: [
      t("auth.login.noAccount"),
      " ",
      h("a", { href: href(withNext("/signup", query)) }, t("auth.signup")),
    ],
    onSubmit: async () => {
      await auth.logIn(email.input.value.trim(), password.input.value);
      await loadProfile();
      done(query);
    },
    // A wrong password: the email stays, the password is cleared for the next try.
    onError: (error) => {
      if (error instanceof ApiError && error.code === "invalid_credentials") {
        password.input.value = "";
        password.input.focus();
      } else email.input.focus();
    },
  });
  if (failure) alert.replaceChildren(h("p", {}, describeError(failure)));
  else if (providerError) {
    alert.replaceChildren(h("p", {}, describeError(new ApiError(0, { code: providerError }))));
  }
  main.append(page);
  focusView(heading);
  (email.input.value ? password : email).input.focus();
}

export function signupView({ main, query }) {
  if (auth.isLoggedIn()) return done(query);
  setTitle(t("auth.signup.title"));
  const fields = [
    field({ name: "email", label: t("auth.email"), type: "email", autocomplete: "email" }),
    passwordToggle(
      field({
        name: "password",
        label: t("auth.password"),
        type: "password",
        autocomplete: "new-password",
        hint: t("auth.password.hint"),
        attrs: { minlength: PASSWORD_MIN },
      }),
    ),
    field({
      name: "nickname",
      label: t("auth.nickname"),
      autocomplete: "nickname",
      hint: t("auth.nickname.hint"),
      attrs: { maxlength: 30 },
    }),
  ];
  const optional = [
    field({
      name: "born_year",
      label: t("auth.bornYear"),
      type: "number",
      required: false,
      autocomplete: "bday-year",
      attrs: { inputmode: "numeric", min: 1900, max: new Date().getFullYear() },
    }),
    field({
      name: "job",
      label: t("auth.job"),
      required: false,
      autocomplete: "organization-title",
      attrs: { maxlength: 100 },
    }),
  ];
  const about = h(
    "fieldset",
    { class: "fieldset" },
    h("legend", {}, t("auth.about")),
    h("p", { class: "field-hint" }, t("auth.about.hint")),
    ...optional.map((f) => f.el),
  );
  const consents = consentBoxes();
  const all = [...fields, ...optional, ...consents];
  const value = (name) => all.find((f) => f.name === name).input.value.trim();
  const { page, heading } = formPage({
    title: t("auth.signup.title"),
    lead: t("auth.signup.lead"),
    fields: all,
    content: [
      providerButtons(query),
      ...fields.map((f) => f.el),
      about,
      ...consents.map((f) => f.el),
    ],
    submitLabel: t("auth.signup.submit"),
    busyLabel: t("auth.signup.busy"),
    footer: [
      t("auth.signup.haveAccount"),
      " ",
      h("a", { href: href(withNext("/login", query)) }, t("auth.login")),
    ],
    onSubmit: async () => {
      const body = {
        email: value("email"),
        password: all[1].input.value,
        nickname: value("nickname"),
        ...consentsOf(consents),
      };
      if (value("born_year")) body.born_year = Number(value("born_year"));
      if (value("job")) body.job = value("job");
      await auth.signUp(body);
      await loadProfile();
      done(query);
    },
  });
  main.append(page);
  focusView(heading);
  fields[0].input.focus();
}

/** The consent step: a member made by a provider login agreed to nothing yet (and everyone
 * agrees again when the terms change). Chatting waits for it; reading does not. */
export function consentView({ main, query }) {
  setTitle(t("consent.title"));
  const boxes = consentBoxes();
  const { page, heading } = formPage({
    title: t("consent.title"),
    lead: t("consent.lead"),
    fields: boxes,
    content: boxes.map((f) => f.el),
    submitLabel: t("consent.submit"),
    busyLabel: t("consent.busy"),
    footer: [h("a", { href: href("/") }, t("consent.later"))],
    onSubmit: async () => {
      await api.giveConsent(consentsOf(boxes));
      await loadProfile();
      navigate(safeNext(query.get("next")), { replace: true });
    },
  });
  main.append(page);
  focusView(heading);
  boxes[0].input.focus();
}

/** "Forgot password?": one email field. The answer reads the same whatever the address, as the
 * API's does, so the page tells nobody who has an account. */
export function forgotPasswordView({ main }) {
  setTitle(t("auth.forgot.title"));
  const email = field({
    name: "email",
    label: t("auth.email"),
    type: "email",
    autocomplete: "email",
  });
  const { page, heading } = formPage({
    title: t("auth.forgot.title"),
    lead: t("auth.forgot.lead"),
    fields: [email],
    content: [email.el],
    submitLabel: t("auth.forgot.submit"),
    busyLabel: t("auth.forgot.busy"),
    footer: [h("a", { href: href("/login") }, t("auth.forgot.back"))],
    onSubmit: async () => {
      await api.requestPasswordReset(email.input.value.trim());
      const form = page.querySelector("form");
      const sent = h("p", { class: "notice", role: "status" }, t("auth.forgot.sent"));
      form.replaceWith(sent);
      focusView(sent);
    },
  });
  main.append(page);
  focusView(heading);
  email.input.focus();
}

/** A used, expired or forged link, with the way to a new one. */
function invalidLink(text, action) {
  return h("div", { class: "form-alert", role: "alert" }, h("p", {}, text, " ", action));
}

/** The page a reset mail links to: a new password for the token in the address. */
export function resetPasswordView({ main, query }) {
  setTitle(t("auth.reset.title"));
  const token = query.get("token") ?? "";
  const askAgain = () => h("a", { href: href("/forgot-password") }, t("auth.reset.askAgain"));
  const password = field({
    name: "password",
    label: t("auth.reset.password"),
    type: "password",
    autocomplete: "new-password",
    hint: t("auth.password.hint"),
    attrs: { minlength: PASSWORD_MIN },
  });
  let alertBox = null;
  const { page, heading, alert } = formPage({
    title: t("auth.reset.title"),
    lead: t("auth.reset.lead"),
    fields: [password],
    content: [password.el],
    submitLabel: t("auth.reset.submit"),
    busyLabel: t("auth.reset.busy"),
    footer: [h("a", { href: href("/login") }, t("auth.forgot.back"))],
    onSubmit: async () => {
      try {
        await api.confirmPasswordReset(token, password.input.value);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === "token_invalid")) throw error;
        const link = askAgain();
        alertBox.replaceChildren(h("p", {}, t("auth.reset.invalid"), " ", link));
        link.focus();
        return;
      }
      flash(t("auth.reset.done"));
      navigate("/login", { replace: true });
    },
  });
  alertBox = alert;
  if (!token) {
    page.querySelector("form").replaceWith(invalidLink(t("auth.reset.invalid"), askAgain()));
    main.append(page);
    focusView(heading);
    return;
  }
  main.append(page);
  focusView(heading);
  password.input.focus();
}

/** The page a verification mail links to: the token is sent at once, and taken out of the
 * address so a reload does not spend it again. */
export async function verifyEmailView({ main, query, signal }) {
  setTitle(t("verify.title"));
  const token = query.get("token") ?? "";
  rewrite("/verify-email");
  const heading = h("h1", {}, t("verify.title"));
  const body = h("div", {}, loading(t("verify.busy")));
  main.append(
    h("section", { class: "page page-form" }, h("div", { class: "form-card" }, heading, body)),
  );
  focusView(heading);
  try {
    if (!token) throw new ApiError(400, { code: "token_invalid" });
    await api.verifyEmail(token);
  } catch (error) {
    if (signal.aborted) return;
    if (!(error instanceof ApiError && error.code === "token_invalid")) {
      body.replaceChildren(
        h("div", { class: "form-alert", role: "alert" }, h("p", {}, describeError(error))),
      );
      return;
    }
    if (auth.isLoggedIn()) await loadProfile().catch(() => {});
    if (signal.aborted) return;
    const unverified = auth.isLoggedIn() && currentProfile()?.email_verified === false;
    const status = h("p", { class: "field-hint", role: "status" });
    const again = unverified
      ? h("button", { type: "button", class: "btn btn-primary" }, t("verify.sendNew"))
      : h(
          "a",
          { href: href(auth.isLoggedIn() ? "/" : "/login") },
          t(auth.isLoggedIn() ? "verify.onward" : "verify.login"),
        );
    if (unverified) {
      again.addEventListener("click", async () => {
        again.disabled = true;
        status.textContent = "";
        try {
          await api.resendVerification();
          status.textContent = t("verify.sent");
        } catch (failure) {
          status.textContent = describeError(failure);
        } finally {
          again.disabled = false;
        }
      });
    }
    body.replaceChildren(
      h("div", { class: "form-alert", role: "alert" }, h("p", {}, t("verify.invalid"))),
      h("p", { class: "form-footer" }, again),
      status,
    );
    return;
  }
  if (auth.isLoggedIn()) await loadProfile().catch(() => {});
  if (signal.aborted) return;
  const onward = auth.isLoggedIn()
    ? h("a", { href: href("/new"), class: "btn btn-primary btn-block" }, t("verify.start"))
    : h("a", { href: href("/login"), class: "btn btn-primary btn-block" }, t("verify.login"));
  body.replaceChildren(
    h("p", { class: "notice", role: "status" }, t("verify.done")),
    h("p", {}, onward),
  );
  onward.focus();
}
