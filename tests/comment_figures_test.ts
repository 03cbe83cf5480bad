/**
 * Comments in the product's code state the rule they protect and name the benchmark that shows
 * it; measured figures go stale, so they live in bench/results/design_figures.md instead.
 * Scanned: every .ts and .tsx file outside tests/ and bench/ (which measure, so they quote).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const SKIPPED = new Set(["tests", "bench", "node_modules", ".git"]);

/**
 * A time in µs, ns or ms; an approximate figure ("~40", "~ 3"); a share ("2.5 %", "1%", "a
 * fifth of", "about half of").
 */
const FIGURE =
  /\d[\d.,]*\s?(µs|us|ns|ms)\b|~\s?\d|\d\s?%(?![\w-])|\b(?:about|nearly|a) (?:half|third|quarter|fifth|tenth) of\b/i;
/** The comment part of a line: a doc or block comment line, or what follows `//`. */
const COMMENT = /^\s*(?:\/\*\*?|\*)(.*)$|(?:^|\s)\/\/(.*)$/;
/** A benchmark named in a comment: `deno task bench` or `deno task bench:<name>`. */
const BENCH_TASK = /deno task\s+(bench(?::[\w-]+)?)/g;

interface Source {
  path: string;
  text: string;
}

async function productSources(dir = ROOT, prefix = ""): Promise<Source[]> {
  const found: Source[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = prefix + entry.name;
    if (entry.isDirectory && !SKIPPED.has(entry.name)) {
      found.push(...await productSources(new URL(`${entry.name}/`, dir), `${path}/`));
    } else if (entry.isFile && /\.tsx?$/.test(entry.name)) {
      found.push({ path, text: await Deno.readTextFile(new URL(entry.name, dir)) });
    }
  }
  return found;
}

/** Each comment line of `text` with its line number. */
function commentLines(text: string): { line: number; comment: string }[] {
  const lines: { line: number; comment: string }[] = [];
  text.split("\n").forEach((line, index) => {
    const match = COMMENT.exec(line);
    if (match) lines.push({ line: index + 1, comment: match[1] ?? match[2] });
  });
  return lines;
}

Deno.test("the figure pattern finds measurements and leaves units, defaults and zones alone", () => {
  for (
    const measured of [
      "took ~40 ms",
      "~1.5 % of",
      "0.6-1.4 µs",
      "350 ns",
      "26.3 ms",
      "2.5 %",
      "was a fifth of the miss path's CPU",
      "about half of what",
    ]
  ) {
    assert.ok(FIGURE.test(measured), measured);
  }
  for (
    const kept of [
      "milliseconds",
      "`ms` from now",
      "fe80::1%lo0",
      "4 KiB",
      "after <ms> ms",
      "a third more space",
    ]
  ) {
    assert.ok(!FIGURE.test(kept), kept);
  }
  assert.deepEqual(commentLines("const a = 1; // took ~3 µs\n * a doc line\ncode()"), [
    { line: 1, comment: " took ~3 µs" },
    { line: 2, comment: " a doc line" },
  ]);
});

Deno.test("product comments quote no measured figure (bench/results/design_figures.md has them)", async () => {
  const found: string[] = [];
  for (const { path, text } of await productSources()) {
    for (const { line, comment } of commentLines(text)) {
      if (FIGURE.test(comment)) found.push(`${path}:${line}:${comment}`);
    }
  }
  assert.deepEqual(found, [], `measured figures in comments:\n${found.join("\n")}`);
  const figures = await Deno.readTextFile(new URL("bench/results/design_figures.md", ROOT));
  assert.ok(figures.split("\n").filter((line) => line.startsWith("- ")).length > 0);
});

Deno.test("every benchmark a product comment names is a task in deno.json", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  const unknown: string[] = [];
  let named = 0;
  for (const { path, text } of await productSources()) {
    const comments = commentLines(text).map((c) => c.comment).join(" ");
    for (const [, task] of comments.matchAll(BENCH_TASK)) {
      named++;
      if (!(task in tasks)) unknown.push(`${path}: deno task ${task}`);
    }
  }
  assert.ok(named > 0, "no comment names a benchmark");
  assert.deepEqual(unknown, []);
});
