import { focusView, h } from "../dom.js";
import { t } from "../i18n.js";
import { href } from "../router.js";
import { setTitle } from "../ui.js";

/** The page for an address with nothing behind it; a chat that is gone says so in its own
 * `title` and `body`, with the same way back to the feed. */
export function notFoundView({ main, title = t("notFound.title"), body = t("notFound.body") }) {
  setTitle(title);
  const heading = h("h1", {}, title);
  main.append(
    h(
      "section",
      { class: "page page-empty" },
      heading,
      h("p", { class: "lead" }, body),
      h("a", { href: href("/"), class: "btn btn-primary" }, t("notFound.home")),
    ),
  );
  focusView(heading);
}
