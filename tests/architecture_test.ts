/**
 * ARCHITECTURE.md stays true as files move: every repository path it names (in backticks, or
 * in a plain-text diagram) exists, and every top-level folder is described. Paths are written
 * from the repository root: files with their extension, folders with a trailing slash.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const DOCUMENT = "ARCHITECTURE.md";

/**
 * A repository path as the document spells one: segments of letters, digits, `_`, `-` and `.`
 * (the first may start with a dot, as `.ci/` does), ending in a file extension or in `/`.
 * URLs, `/dns-query`, `node:` specifiers and `<placeholders>` do not match.
 */
const PATH =
  /^\.?[A-Za-z0-9_][\w.-]*(?:\/[A-Za-z0-9_][\w.-]*)*(?:\.(?:ts|tsx|json|lock|md|sh|txt|service|example)|\/)$/;

/** What surrounds a path in a diagram or a sentence, trimmed before matching. */
const LEADING = /^[("'[{]+/;
const TRAILING = /[)"'\]},;:.]+$/;

/** Every repository path the text names, once each, in order of first mention. */
export function namedPaths(markdown: string): string[] {
  const found = new Set<string>();
  const consider = (token: string) => {
    const path = token.trim().replace(LEADING, "").replace(TRAILING, (tail) =>
      // A folder's own trailing slash survives; a sentence's full stop does not.
      tail.startsWith("/") ? tail : "");
    if (PATH.test(path)) found.add(path);
  };
  const fences = markdown.split(/^```.*$/m);
  fences.forEach((part, index) => {
    if (index % 2 === 1) {
      for (const token of part.split(/\s+/)) consider(token);
      return;
    }
    for (const match of part.matchAll(/`([^`\n]+)`/g)) consider(match[1]);
  });
  return [...found];
}

async function exists(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(new URL(path, ROOT));
    return path.endsWith("/") ? info.isDirectory : info.isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("namedPaths() finds paths in backticks and in diagrams, and nothing else", () => {
  const text = [
    "The chain is in `pipeline/chain.ts`; see `tests/e2e/` and `.ci/`.",
    "Not paths: `/dns-query`, `node:assert/strict`, `<BLOCKLIST_DIR>/custom.json`,",
    "`https://dns.quad9.net/dns-query`, `answer.ttl`, `deno task test`, main.ts outside backticks.",
    "```",
    "doors ─▶ (doors/udp.ts) ─▶ pipeline/gone.ts, deno.json.",
    "```",
  ].join("\n");
  assert.deepEqual(namedPaths(text), [
    "pipeline/chain.ts",
    "tests/e2e/",
    ".ci/",
    "doors/udp.ts",
    "pipeline/gone.ts",
    "deno.json",
  ]);
});

Deno.test("every path ARCHITECTURE.md names exists in the repository", async () => {
  const paths = namedPaths(await Deno.readTextFile(new URL(DOCUMENT, ROOT)));
  // The document walks the whole tree; a handful would mean the paths stopped being found.
  assert.ok(paths.length > 100, `only ${paths.length} paths found in ${DOCUMENT}`);
  const missing = [];
  for (const path of paths) if (!(await exists(path))) missing.push(path);
  assert.deepEqual(missing, [], `${DOCUMENT} names paths that do not exist`);
});

Deno.test("ARCHITECTURE.md describes every top-level folder", async () => {
  const paths = new Set(namedPaths(await Deno.readTextFile(new URL(DOCUMENT, ROOT))));
  // The repository's own folders: what git tracks, not what runs leave behind (test-artifacts/,
  // a .cache of list copies, installed packages).
  const output = await new Deno.Command("git", {
    args: ["ls-files"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(output.success, "git ls-files failed");
  const tracked = new TextDecoder().decode(output.stdout).split("\n");
  const folders = [
    ...new Set(
      tracked.filter((path) => path.includes("/")).map((path) => `${path.split("/")[0]}/`),
    ),
  ];
  const undescribed = folders.filter((folder) => !paths.has(folder)).sort();
  assert.deepEqual(undescribed, [], `folders ${DOCUMENT} does not describe`);
});
