/**
 * The regex index (blocklist/regex_index.ts): the literal each regex is filed under is one every
 * match contains, and the index finds exactly what running every regex on every name finds.
 */
import assert from "node:assert/strict";
import { RE2JS } from "re2js";
import { RegexIndex, requiredLiterals } from "../../blocklist/regex_index.ts";
import { Random } from "../support/random_messages.ts";

Deno.test("requiredLiterals() keeps only characters every match must contain", () => {
  const cases: [string, string[]][] = [
    ["^ad[0-9]+\\.tracker\\.example$", [".tracker.example"]],
    ["^(ads|track)er\\.net$", ["er.net"]],
    ["^(ads|track)[0-9]\\.", ["ads", "track"]],
    ["ads|track", ["ads", "track"]],
    ["ads|.*", []],
    ["^(ad|x0)\\d{3,}$", ["ad", "x0"]],
    ["colou?r-server", ["r-server"]],
    ["ab*cdef", ["cdef"]],
    ["abc+def", ["abc"]],
    ["x{0,3}yz", ["yz"]],
    ["(abc)?de", ["de"]],
    ["\\d+\\.metrics\\.", [".metrics."]],
    ["[abc]def[ghi]", ["def"]],
    ["(?i)Banner", ["banner"]],
    ["(?:ads|track)-x", ["ads", "track"]],
    ["a\\wbcd", ["bcd"]],
    ["\\x41bc", ["bc"]],
    ["\\p{Greek}xyz", ["xyz"]],
    ["\\Qa.b\\E", []],
    [".*", []],
    ["a", []],
  ];
  for (const [source, literals] of cases) {
    assert.deepEqual(requiredLiterals(source), literals, source);
  }
});

Deno.test("the index matches exactly what every regex run on every name matches", () => {
  const random = new Random(22);
  const words = ["ad", "ads", "track", "metrics", "cdn", "pixel", "banner", "a", "x1", "srv"];
  const pick = () => words[random.int(words.length)];
  const sources: string[] = [];
  for (let i = 0; i < 300; i++) {
    const shape = i % 6;
    if (shape === 0) sources.push(`^${pick()}[0-9]*\\.${pick()}\\.`);
    else if (shape === 1) sources.push(`${pick()}${pick()}`);
    else if (shape === 2) sources.push(`(${pick()}|${pick()})\\.example$`);
    else if (shape === 3) sources.push(`${pick()}-?${pick()}`);
    else if (shape === 4) sources.push(`^[a-z]+${pick()}\\d`);
    else if (i % 12 === 5) sources.push(`(^|-)${pick()}[0-9]?\\.`);
    else sources.push(`\\.${pick()}+s\\.`);
  }
  const index = new RegexIndex(sources.map((source, i) => [source, i] as const));
  assert.ok(index.alwaysRun < 60, "most regexes are filed under a literal");
  const compiled = sources.map((source) => RE2JS.compile(source, RE2JS.CASE_INSENSITIVE));
  for (let n = 0; n < 2000; n++) {
    const labels = Array.from(
      { length: 2 + random.int(3) },
      () => pick() + (random.int(3) === 0 ? random.int(20) : ""),
    );
    const name = `${labels.join(random.int(2) ? "." : "-")}.example`;
    const expected = compiled.flatMap((pattern, i) => pattern.matcher(name).find() ? [i] : []);
    assert.deepEqual(index.matches(name).sort((a, b) => a - b), expected, name);
  }
});

Deno.test("building the index compiles no regex: each is compiled the first time a name needs it", () => {
  const sources = Array.from({ length: 10_000 }, (_, i) => [`^ad${i}\\.tracker\\.`, i] as const);
  const index = new RegexIndex(sources);
  assert.equal(index.compiled, 0);
  assert.deepEqual(index.matches("ad42.tracker.example"), [42]);
  assert.ok(index.compiled < 50, `${index.compiled} compiled for one name`);
  const after = index.compiled;
  index.matches("ad42.tracker.example");
  assert.equal(index.compiled, after, "compiled once");
});

Deno.test("a regex RE2 cannot compile (from another instance's JSON) matches nothing", () => {
  const index = new RegexIndex([["a(?=b)", "lookahead"], ["^ab", "fine"]]);
  assert.deepEqual(index.matches("abc.example"), ["fine"]);
});
