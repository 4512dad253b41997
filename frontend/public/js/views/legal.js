// The terms of service and the privacy policy: Markdown files beside the app
// (legal/terms.ko.md, legal/privacy.en.md, ...), which operators replace with their own, rendered
// through the same sanitizer as the model's answers.

import { focusView, h } from "../dom.js";
import { LANGUAGES, language, t } from "../i18n.js";
import { markdownFragment } from "../markdown.js";
import { errorBox, loading, setTitle } from "../ui.js";

/** The text in the reader's language, or in the other one when an operator left a file out. */
async function legalText(name, signal) {
  const order = [language(), ...LANGUAGES.map((l) => l.code).filter((c) => c !== language())];
  for (const code of order) {
    // From the page's own origin (not the API's): the files travel with the app.
    const url = new URL(`legal/${name}.${code}.md`, document.baseURI);
    // Revalidated every time, so an edited file shows at once.
    const response = await fetch(url, { signal, cache: "no-cache", credentials: "omit" });
    if (response.ok) return { text: await response.text(), code };
  }
  throw new Error(`no legal/${name}.*.md`);
}

function legalView(name) {
  return async ({ main, signal }) => {
    setTitle(t(`legal.${name}`));
    const body = h("article", { class: "markdown legal" }, loading(t("legal.loading")));
    main.append(h("section", { class: "page page-legal" }, body));
    focusView(body);
    let found;
    try {
      found = await legalText(name, signal);
    } catch (error) {
      if (signal.aborted) return;
      body.replaceChildren(h("h1", {}, t(`legal.${name}`)), errorBox(t("legal.missing")));
      return;
    }
    if (signal.aborted) return;
    body.replaceChildren(markdownFragment(found.text, { breaks: false }));
    body.lang = found.code;
    let heading = body.querySelector("h1");
    if (!heading) {
      heading = h("h1", {}, t(`legal.${name}`));
      body.prepend(heading);
    }
    focusView(heading);
  };
}

export const termsView = legalView("terms");
export const privacyView = legalView("privacy");
