// Parses every script the browser loads (as the ES modules they are), so a syntax error fails
// `npm run check` instead of leaving a blank page.
import { spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PUBLIC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "public");

async function* scripts(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== "vendor") yield* scripts(path);
    else if (entry.isFile() && entry.name.endsWith(".js")) yield path;
  }
}

let failed = 0;
let count = 0;
for await (const file of scripts(PUBLIC)) {
  count += 1;
  const result = spawnSync(process.execPath, ["--check", file], { encoding: "utf8" });
  if (result.status !== 0) {
    failed += 1;
    process.stderr.write(result.stderr);
  }
}
console.log(`syntax: ${count - failed}/${count} modules parse`);
process.exit(failed ? 1 : 0);
