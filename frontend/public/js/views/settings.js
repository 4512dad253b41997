// The member's settings: profile, email and its verification, password, connected logins, a copy
// of their data, logging out everywhere, and leaving. Each section works on its own and says
// how its last action went in a live region of its own.

import * as api from "../api.js";
import * as auth from "../auth.js";
import { focusView, h } from "../dom.js";
import { describeError } from "../errors.js";
import { PASSWORD_MIN, field, showFieldErrors } from "../forms.js";
import { ApiError } from "../http.js";
import { has, t } from "../i18n.js";
import { href, loginPath, navigate, rewrite } from "../router.js";
import { currentProfile, loadProfile, onProfile } from "../state.js";
import { confirmDialog, errorBox, loading, notify, openDialog, saveBlob, setTitle } from "../ui.js";
import { usageSection } from "../usage.js";

const PROVIDERS = ["github", "kakao"];

/** A member whose provider shared no email gets an address that can never receive mail
 * (RFC 2606's .invalid); nothing about mail applies to them. */
function hasMailbox(profile) {
  return !/\.invalid$/i.test(profile.email);
}

function providerName(provider) {
  return has(`provider.${provider}`) ? t(`provider.${provider}`) : provider;
}

// The outcome of a "Connect" trip, kept a few seconds past the address it came in: the page
// can be drawn again at once (the language or the profile settling at start-up), and the
// second drawing must still say it.
const OUTCOME_MS = 5000;
let lastOutcome = null;

export async function settingsView({ main, query, signal }) {
  setTitle(t("settings.title"));
  // Back from a provider's page after "Connect": say how it went, once (a reload or the
  // history must not say it again).
  if (query.get("linked") || query.get("oauth_error")) {
    lastOutcome = { linked: query.get("linked"), error: query.get("oauth_error"), at: Date.now() };
    rewrite("/settings");
  }
  const recent = lastOutcome && Date.now() - lastOutcome.at < OUTCOME_MS ? lastOutcome : null;
  const linked = recent?.linked ?? null;
  const linkError = recent?.error ?? null;
  const heading = h("h1", {}, t("settings.title"));
  const body = h("div", { class: "settings" }, loading(t("settings.loading")));
  main.append(
    h(
      "section",
      { class: "page page-settings" },
      h("div", { class: "page-head" }, heading, h("p", { class: "lead" }, t("settings.lead"))),
      linkOutcome(linked, linkError),
      body,
    ),
  );
  focusView(heading);
  try {
    await loadProfile();
  } catch (error) {
    if (!signal.aborted) body.replaceChildren(errorBox(describeError(error)));
    return;
  }
  const profile = currentProfile();
  if (signal.aborted || !profile) return; // an ended session is sent to log in by main.js
  body.replaceChildren(
    profileSection(profile),
    emailSection(profile, signal),
    passwordSection(profile),
    providersSection(signal),
    usageSection(),
    exportSection(),
    everywhereSection(),
    deleteSection(profile),
  );
}

function linkOutcome(linked, code) {
  if (linked) {
    return h(
      "p",
      { class: "notice", role: "status" },
      t("settings.providers.linked", { provider: providerName(linked) }),
    );
  }
  if (!code) return null;
  const text = has(`settings.oauth.${code}`)
    ? t(`settings.oauth.${code}`)
    : describeError(new ApiError(0, { code }));
  return h("div", { class: "form-alert", role: "alert" }, h("p", {}, text));
}

function section(id, title, ...children) {
  const headingId = `settings-${id}`;
  return h(
    "section",
    { class: `settings-section settings-${id}`, "aria-labelledby": headingId },
    h("h2", { id: headingId }, title),
    ...children,
  );
}

/** Where a section reports: a polite status for what worked, an alert for what did not. The
 * status can take focus, for when the control that was used is gone. */
function outcome() {
  const status = h("p", { class: "settings-status", role: "status", tabindex: "-1" });
  const alert = h("div", { class: "form-alert", role: "alert" });
  return {
    el: h("div", { class: "settings-outcome" }, status, alert),
    status,
    alert,
    clear() {
      status.textContent = "";
      alert.replaceChildren();
    },
    ok(text) {
      alert.replaceChildren();
      status.textContent = text;
    },
    fail(...content) {
      status.textContent = "";
      alert.replaceChildren(h("p", {}, ...content));
    },
  };
}

/** A button that shows `busyLabel` and is disabled while `action` runs. */
function busyButton(label, busyLabel, props = {}) {
  const button = h("button", { type: "button", class: "btn", ...props }, label);
  button.run = async (action) => {
    button.disabled = true;
    button.textContent = busyLabel;
    try {
      await action();
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  };
  return button;
}

function invalidFields(error) {
  return error instanceof ApiError && error.code === "invalid" ? error.body.errors : null;
}

/** A form of `fields` whose submit runs `action`, which resolves to what to say when it worked.
 * The API's field errors show at their fields (focus on the first), anything else as an alert. */
function settingsForm({ fields, hidden = [], submitLabel, busyLabel, action }) {
  const result = outcome();
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, submitLabel);
  const form = h(
    "form",
    { class: "form", novalidate: true },
    ...fields.map((f) => f.el),
    result.el,
    h("div", { class: "settings-actions" }, submit),
    ...hidden,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.clear();
    const missing = fields.find((f) => f.input.required && !f.input.value.trim());
    if (missing) {
      missing.input.focus();
      missing.input.reportValidity();
      return;
    }
    submit.disabled = true;
    submit.textContent = busyLabel;
    try {
      const said = await action();
      showFieldErrors(fields, null);
      result.ok(said);
    } catch (error) {
      if (!showFieldErrors(fields, invalidFields(error))) submit.focus();
      result.fail(describeError(error));
    } finally {
      submit.disabled = false;
      submit.textContent = submitLabel;
    }
  });
  return form;
}

// ---------------------------------------------------------------- profile

function profileSection(profile) {
  const nickname = field({
    name: "nickname",
    label: t("auth.nickname"),
    autocomplete: "nickname",
    hint: t("auth.nickname.hint"),
    attrs: { maxlength: 30, value: profile.nickname },
  });
  const bornYear = field({
    name: "born_year",
    label: t("auth.bornYear"),
    type: "number",
    required: false,
    autocomplete: "bday-year",
    attrs: {
      inputmode: "numeric",
      min: 1900,
      max: new Date().getFullYear(),
      value: profile.born_year ?? "",
    },
  });
  const job = field({
    name: "job",
    label: t("auth.job"),
    required: false,
    autocomplete: "organization-title",
    attrs: { maxlength: 100, value: profile.job ?? "" },
  });
  // Whether new chats show the member's nickname; each chat can still say otherwise.
  const anonymousInput = h("input", {
    id: "field-anonymous_by_default",
    name: "anonymous_by_default",
    type: "checkbox",
    checked: Boolean(profile.anonymous_by_default),
    "aria-describedby": "field-anonymous_by_default-hint",
  });
  const anonymous = {
    name: "anonymous_by_default",
    input: anonymousInput,
    error: h("p", { id: "field-anonymous_by_default-error", class: "field-error", hidden: true }),
  };
  anonymous.el = h(
    "div",
    { class: "field field-check" },
    h(
      "div",
      { class: "anonymous-field" },
      anonymousInput,
      h("label", { for: "field-anonymous_by_default" }, t("settings.profile.anonymous")),
    ),
    h(
      "p",
      { id: "field-anonymous_by_default-hint", class: "field-hint" },
      t("settings.profile.anonymous.hint"),
    ),
    anonymous.error,
  );
  const form = settingsForm({
    fields: [nickname, bornYear, job, anonymous],
    submitLabel: t("settings.profile.save"),
    busyLabel: t("settings.profile.saving"),
    action: async () => {
      const year = bornYear.input.value.trim();
      await api.updateProfile({
        nickname: nickname.input.value.trim(),
        born_year: year ? Number(year) : null,
        job: job.input.value.trim() || null,
        anonymous_by_default: anonymousInput.checked,
      });
      await loadProfile(); // the header's nickname follows
      return t("settings.profile.saved");
    },
  });
  return section(
    "profile",
    t("settings.profile"),
    h("p", { class: "settings-lead" }, t("settings.profile.hint")),
    form,
  );
}

// ---------------------------------------------------------------- email

function emailSection(profile, signal) {
  const state = h("div", { class: "email-state" });
  const result = outcome();
  const again = busyButton(t("verify.banner.again"), t("settings.sending"));
  again.addEventListener("click", () =>
    again.run(async () => {
      result.clear();
      try {
        await api.resendVerification();
        result.ok(t("verify.sent"));
      } catch (error) {
        result.fail(describeError(error));
      }
    }),
  );
  const draw = (current) => {
    if (!current) return;
    if (!hasMailbox(current)) {
      state.replaceChildren(h("p", {}, t("settings.email.none")));
      return;
    }
    const verified = current.email_verified;
    state.replaceChildren(
      h(
        "p",
        { class: "settings-email-line" },
        h("strong", { class: "settings-email-address" }, current.email),
        " ",
        h(
          "span",
          { class: `badge ${verified ? "badge-ok" : "badge-warn"}` },
          t(verified ? "settings.email.verified" : "settings.email.unverified"),
        ),
      ),
      h(
        "p",
        { class: "field-hint" },
        t(verified ? "settings.email.verifiedHint" : "settings.email.unverifiedHint"),
      ),
      ...(verified ? [] : [h("div", { class: "settings-actions" }, again)]),
    );
  };
  onProfile(draw, signal);
  draw(profile);
  return section("email", t("settings.email"), state, result.el);
}

// ---------------------------------------------------------------- password

function passwordSection(profile) {
  if (!profile.has_password) {
    const ways = profile.linked_providers.map(providerName).join(", ");
    return section(
      "password",
      t("settings.password"),
      h(
        "p",
        {},
        t("settings.password.none", { providers: ways || t("settings.password.provider") }),
      ),
      hasMailbox(profile)
        ? h(
            "p",
            {},
            t("settings.password.set", { email: profile.email }),
            " ",
            h("a", { href: href("/forgot-password") }, t("auth.forgot.link")),
          )
        : h("p", {}, t("settings.password.noMailbox")),
    );
  }
  const current = field({
    name: "current_password",
    label: t("settings.password.current"),
    type: "password",
    autocomplete: "current-password",
  });
  const next = field({
    name: "new_password",
    label: t("settings.password.new"),
    type: "password",
    autocomplete: "new-password",
    hint: t("auth.password.hint"),
    attrs: { minlength: PASSWORD_MIN },
  });
  const form = settingsForm({
    fields: [current, next],
    // For password managers: whose password this is.
    hidden: [
      h("input", {
        type: "email",
        name: "username",
        autocomplete: "username",
        value: profile.email,
        hidden: true,
        readonly: true,
      }),
    ],
    submitLabel: t("settings.password.submit"),
    busyLabel: t("settings.password.busy"),
    action: async () => {
      const pair = await api.changePassword(current.input.value, next.input.value);
      // Every other refresh token is revoked now, ours too: keep the new pair like a login's.
      auth.adopt(pair);
      current.input.value = "";
      next.input.value = "";
      return t("settings.password.done");
    },
  });
  return section(
    "password",
    t("settings.password"),
    h("p", { class: "settings-lead" }, t("settings.password.lead")),
    form,
  );
}

// ---------------------------------------------------------------- providers

function providersSection(signal) {
  const list = h("ul", { class: "provider-list" });
  const result = outcome();
  let offered = null;

  const draw = () => {
    const profile = currentProfile();
    if (!profile || offered === null) return;
    const linked = profile.linked_providers;
    const shown = PROVIDERS.filter((p) => offered.includes(p) || linked.includes(p));
    if (!shown.length) {
      list.replaceChildren(h("li", { class: "muted" }, t("settings.providers.none")));
      return;
    }
    list.replaceChildren(...shown.map((p) => providerRow(p, linked.includes(p))));
  };

  const providerRow = (provider, isLinked) => {
    const name = providerName(provider);
    let action = null;
    if (!offered.includes(provider)) {
      action = h("span", { class: "muted" }, t("settings.providers.unavailable"));
    } else if (isLinked) {
      action = busyButton(t("settings.providers.disconnect"), t("settings.providers.busy"), {
        "aria-label": t("settings.providers.disconnectLabel", { provider: name }),
      });
      action.addEventListener("click", () => action.run(() => disconnect(provider)));
    } else {
      action = busyButton(t("settings.providers.connect"), t("settings.providers.busy"), {
        class: `btn btn-oauth btn-${provider}`,
        "aria-label": t("settings.providers.connectLabel", { provider: name }),
      });
      action.addEventListener("click", () => action.run(() => connect(provider)));
    }
    return h(
      "li",
      { class: "settings-provider", dataset: { provider } },
      h(
        "span",
        { class: "settings-provider-name" },
        h("strong", {}, name),
        " ",
        h(
          "span",
          { class: `badge ${isLinked ? "badge-ok" : ""}` },
          t(isLinked ? "settings.providers.connected" : "settings.providers.notConnected"),
        ),
      ),
      action,
    );
  };

  // The link is a trip through the provider's pages; the API names the first stop and binds
  // the trip to this member, and the provider sends the browser back to #/settings.
  const connect = async (provider) => {
    result.clear();
    try {
      const { url } = await api.startProviderLink(provider);
      const target = new URL(url, location.href);
      if (!/^https?:$/.test(target.protocol)) throw new ApiError(0, { code: "unknown" });
      result.ok(t("settings.providers.going", { provider: providerName(provider) }));
      location.assign(target.href);
    } catch (error) {
      result.fail(describeError(error));
    }
  };

  const disconnect = async (provider) => {
    result.clear();
    try {
      await api.unlinkProvider(provider);
      await loadProfile();
      result.ok(t("settings.providers.unlinked", { provider: providerName(provider) }));
    } catch (error) {
      result.fail(describeError(error));
      if (error instanceof ApiError && error.code === "oauth_provider_not_linked") {
        await loadProfile().catch(() => {});
      }
    }
    // The button that was pressed may be gone: the result is where the keyboard goes on.
    focusView(result.alert.childElementCount ? result.alert : result.status);
  };

  onProfile(draw, signal);
  api
    .loginProviders()
    .then(({ providers = [] }) => {
      offered = providers;
      draw();
    })
    .catch((error) => {
      if (!signal.aborted) list.replaceChildren(h("li", {}, describeError(error)));
    });
  list.append(h("li", {}, loading(t("settings.loading"))));
  return section(
    "providers",
    t("settings.providers"),
    h("p", { class: "settings-lead" }, t("settings.providers.lead")),
    list,
    result.el,
  );
}

// ---------------------------------------------------------------- export

/** The file name the server gave (Content-Disposition), reduced to safe characters. */
function attachmentName(response) {
  const header = response.headers.get("Content-Disposition") ?? "";
  const match = header.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  const name = match ? decodeURIComponent(match[1]).replace(/[^\w.-]/g, "_") : "";
  return name || "chatbot-export.json";
}

function exportSection() {
  const result = outcome();
  const button = busyButton(t("settings.export.submit"), t("settings.export.busy"), {
    class: "btn btn-primary",
  });
  button.addEventListener("click", () =>
    button.run(async () => {
      result.clear();
      try {
        // A plain link cannot carry the bearer token; the file is fetched, then saved.
        const response = await api.exportData();
        const name = attachmentName(response);
        saveBlob(await response.blob(), name);
        result.ok(t("settings.export.done", { file: name }));
      } catch (error) {
        result.fail(describeError(error));
      }
    }),
  );
  return section(
    "export",
    t("settings.export"),
    h("p", { class: "settings-lead" }, t("settings.export.lead")),
    h("div", { class: "settings-actions" }, button),
    result.el,
  );
}

// ---------------------------------------------------------------- log out everywhere

function everywhereSection() {
  const result = outcome();
  const button = busyButton(t("settings.everywhere.submit"), t("settings.everywhere.busy"));
  button.addEventListener("click", async () => {
    const sure = await confirmDialog({
      title: t("settings.everywhere.title"),
      body: t("settings.everywhere.body"),
      confirmLabel: t("settings.everywhere.submit"),
    });
    if (!sure) return;
    await button.run(async () => {
      result.clear();
      try {
        await api.logOutEverywhere();
      } catch (error) {
        result.fail(describeError(error));
        return;
      }
      auth.forget();
      notify(t("settings.everywhere.done"));
    });
  });
  return section(
    "everywhere",
    t("settings.everywhere"),
    h("p", { class: "settings-lead" }, t("settings.everywhere.lead")),
    h("div", { class: "settings-actions" }, button),
    result.el,
  );
}

// ---------------------------------------------------------------- delete account

function deleteSection(profile) {
  const open = h(
    "button",
    { type: "button", class: "btn btn-danger-text" },
    t("settings.delete.open"),
  );
  open.addEventListener("click", () => deleteDialog(currentProfile() ?? profile));
  return section(
    "delete",
    t("settings.delete"),
    h("p", { class: "settings-lead" }, t("settings.delete.lead")),
    h("div", { class: "settings-actions" }, open),
  );
}

/** The confirmation: what goes, what stays, and the password (or, for a member who has none,
 * their nickname) typed to mean it. */
function deleteDialog(profile) {
  const withPassword = profile.has_password;
  const confirmation = withPassword
    ? field({
        name: "password",
        label: t("settings.delete.password"),
        type: "password",
        autocomplete: "current-password",
      })
    : field({
        name: "confirm",
        label: t("settings.delete.confirm", { nickname: profile.nickname }),
        autocomplete: "off",
        attrs: { spellcheck: "false" },
      });
  const alert = h("div", { class: "form-alert", role: "alert" });
  const cancel = h("button", { type: "button", class: "btn" }, t("chat.cancel"));
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-danger" },
    t("settings.delete.submit"),
  );
  const titleId = "delete-account-title";
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("h2", { id: titleId }, t("settings.delete.title")),
    h("p", { id: "delete-account-intro" }, t("settings.delete.intro")),
    h(
      "ul",
      { class: "settings-losses" },
      h("li", {}, t("settings.delete.chats")),
      h("li", {}, t("settings.delete.archive")),
      h("li", {}, t("settings.delete.profile")),
      h("li", {}, t("settings.delete.providers")),
    ),
    h("p", {}, t("settings.delete.kept")),
    confirmation.el,
    alert,
    h("div", { class: "dialog-actions" }, cancel, submit),
  );
  const close = openDialog(form, { labelledBy: titleId, className: "dialog dialog-wide" });
  cancel.addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.replaceChildren();
    const value = confirmation.input.value;
    if (!value) {
      confirmation.input.focus();
      confirmation.input.reportValidity();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("settings.delete.busy");
    try {
      await api.deleteAccount(withPassword ? { password: value } : { confirm: value });
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t("settings.delete.submit");
      if (error instanceof ApiError && error.code === "login_too_old") {
        const again = h("button", { type: "button", class: "btn btn-small" }, t("verify.login"));
        again.addEventListener("click", async () => {
          close();
          await auth.logOut();
          navigate(loginPath("/settings"));
        });
        alert.replaceChildren(h("p", {}, describeError(error), " "), again);
        again.focus();
        return;
      }
      if (!showFieldErrors([confirmation], invalidFields(error))) confirmation.input.focus();
      alert.replaceChildren(h("p", {}, describeError(error)));
      return;
    }
    close();
    auth.forget();
    notify(t("settings.delete.done"));
  });
  confirmation.input.focus();
}
