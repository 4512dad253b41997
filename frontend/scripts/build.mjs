// Makes public/ ready to serve:
//   1. copies the third-party modules the app imports from node_modules (pinned by
//      package-lock.json) into public/vendor/, which is generated and not committed;
//   2. writes the API origin from public/config.js into the Content-Security-Policy of
//      public/index.html (connect-src), so the one setting a deployment changes is apiBase.
//
//   node scripts/build.mjs                  both steps, for public/ next to this script
//   node scripts/build.mjs csp [DIR]        only step 2, for a copy of public/ in DIR
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = resolve(HERE, "..", "node_modules");

// [from node_modules, to public/vendor]. ES modules get a .js name: some static servers
// (Python's among them) do not know .mjs, and browsers refuse a module served without a
// JavaScript type.
const VENDOR = [
  ["marked/lib/marked.esm.js", "marked/marked.esm.js"],
  ["marked/LICENSE", "marked/LICENSE"],
  ["dompurify/dist/purify.es.mjs", "dompurify/purify.es.js"],
  ["dompurify/LICENSE", "dompurify/LICENSE"],
  ["@highlightjs/cdn-assets/es/highlight.min.js", "highlight/highlight.min.js"],
  ["@highlightjs/cdn-assets/styles/github.min.css", "highlight/github.min.css"],
  ["@highlightjs/cdn-assets/styles/github-dark.min.css", "highlight/github-dark.min.css"],
  ["@highlightjs/cdn-assets/LICENSE", "highlight/LICENSE"],
];

async function vendor(publicDir) {
  for (const [from, to] of VENDOR) {
    const target = join(publicDir, "vendor", to);
    await mkdir(dirname(target), { recursive: true });
    if (/\.m?js$/.test(from)) {
      // Drop the source-map comment: the map is not shipped, and browsers would ask for it.
      const code = await readFile(join(MODULES, from), "utf8");
      await writeFile(target, code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"));
    } else {
      await copyFile(join(MODULES, from), target);
    }
  }
  console.log(`vendor: ${VENDOR.length} files into ${join(publicDir, "vendor")}`);
}

async function csp(publicDir) {
  const config = (await import(pathToFileURL(join(publicDir, "config.js")).href)).default;
  const base = String(config.apiBase ?? "").trim();
  let sources = "'self'";
  if (base) {
    const url = new URL(base); // throws on a typo: better now than a blank page later
    if (!/^https?:$/.test(url.protocol)) throw new Error(`apiBase must be http(s): ${base}`);
    sources += ` ${url.origin}`;
  }
  const page = join(publicDir, "index.html");
  const html = await readFile(page, "utf8");
  const directive = /(http-equiv="Content-Security-Policy"\s+content="[^"]*\bconnect-src )[^;"]*/;
  if (!directive.test(html)) throw new Error(`no connect-src in the policy of ${page}`);
  const updated = html.replace(directive, `$1${sources}`);
  if (updated !== html) await writeFile(page, updated);
  console.log(`csp: connect-src ${sources}`);
}

const [step, dir] = process.argv.slice(2);
const publicDir = resolve(dir ?? join(HERE, "..", "public"));
if (step === "csp") await csp(publicDir);
else if (!step) {
  await vendor(publicDir);
  await csp(publicDir);
} else {
  console.error("usage: node scripts/build.mjs [csp [DIR]]");
  process.exit(2);
}
