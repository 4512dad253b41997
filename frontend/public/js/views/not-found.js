import { focusView, h } from "../dom.js";
import { t } from "../i18n.js";
import { href } from "../router.js";
import { setTitle } from "../ui.js";

export function notFoundView({ main }) {
  setTitle(t("notFound.title"));
  const heading = h("h1", {}, t("notFound.title"));
  main.append(
    h(
      "section",
      { class: "page page-empty" },
      heading,
      h("p", { class: "lead" }, t("notFound.body")),
      h("a", { href: href("/"), class: "btn btn-primary" }, t("notFound.home")),
    ),
  );
  focusView(heading);
}
