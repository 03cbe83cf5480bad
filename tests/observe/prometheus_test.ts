/**
 * Our Prometheus exposition against the text format's rules (escaping, cumulative buckets,
 * unlabelled series at 0) and against prom-client, the reference Node client (dev-only here,
 * as dns-packet is for the codec): the same increments and observations must read back as the
 * same samples.
 */
import assert from "node:assert/strict";
import * as reference from "prom-client";
import { Counter, Histogram, Registry, Sourced } from "../../observe/prometheus.ts";
import { Random } from "../support/random_messages.ts";
import { sample } from "../support/prometheus.ts";

/** Every line is a comment (HELP/TYPE) or `name{labels} value`, as Prometheus parses them. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/;
const COMMENT_LINE =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$/;

function assertWellFormed(text: string): void {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    assert.ok(SAMPLE_LINE.test(line) || COMMENT_LINE.test(line), `malformed line: ${line}`);
  }
}

/** Samples as a set of `name{sorted labels} value`, to compare two expositions. */
function samples(text: string): string[] {
  return text.split("\n").filter((line) => line && !line.startsWith("#")).map((line) => {
    const match = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line)!;
    const labels = [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map((m) => `${m[1]}="${m[2]}"`).sort().join(",");
    return `${match[1]}{${labels}} ${Number(match[3])}`;
  }).sort();
}

Deno.test("exposition escapes label values and help text as the format says", async () => {
  const registry = new Registry();
  const counter = registry.add(
    new Counter({ name: "odd_total", help: 'back\\slash and\nnewline "kept"', labelNames: ["v"] }),
  );
  counter.inc({ v: 'a"b\\c\nd' }, 2);
  const text = await registry.metrics();
  assertWellFormed(text);
  assert.match(text, /^# HELP odd_total back\\\\slash and\\nnewline "kept"$/m);
  assert.match(text, /^odd_total\{v="a\\"b\\\\c\\nd"\} 2$/m);
  assert.equal(sample(text, "odd_total", { v: 'a\\"b\\\\c\\nd' }), 2);
});

Deno.test("an unlabelled counter shows 0 before its first increment; labelled ones nothing", async () => {
  const registry = new Registry();
  registry.add(new Counter({ name: "plain_total", help: "h" }));
  registry.add(new Counter({ name: "by_kind_total", help: "h", labelNames: ["kind"] }));
  const text = await registry.metrics();
  assertWellFormed(text);
  assert.equal(sample(text, "plain_total"), 0);
  assert.doesNotMatch(text, /^by_kind_total/m);
  assert.match(text, /^# TYPE by_kind_total counter$/m);
});

Deno.test("histogram buckets are cumulative, end at +Inf and count what is on a bound", async () => {
  const registry = new Registry();
  const histogram = registry.add(
    new Histogram({ name: "t_seconds", help: "h", labelNames: ["s"], buckets: [0.5, 0.1, 1] }),
  );
  for (const value of [0.05, 0.1, 0.3, 2, 1]) histogram.observe({ s: "x" }, value);
  const text = await registry.metrics();
  assertWellFormed(text);
  const bucket = (le: string) => sample(text, "t_seconds_bucket", { s: "x", le });
  assert.deepEqual([bucket("0.1"), bucket("0.5"), bucket("1"), bucket("+Inf")], [2, 3, 4, 5]);
  assert.equal(sample(text, "t_seconds_count", { s: "x" }), 5);
  assert.equal(sample(text, "t_seconds_sum", { s: "x" }), 3.45);
});

Deno.test("a sourced family reads its values at each scrape and a missing label is an error", async () => {
  let value = 1;
  const registry = new Registry();
  registry.add(
    new Sourced("gauge", { name: "read_now", help: "h", labelNames: ["k"] }, () => [
      { labels: { k: "a" }, value },
    ]),
  );
  assert.equal(sample(await registry.metrics(), "read_now", { k: "a" }), 1);
  value = 7;
  assert.equal(sample(await registry.metrics(), "read_now", { k: "a" }), 7);
  const counter = new Counter<"a" | "b">({ name: "x_total", help: "h", labelNames: ["a", "b"] });
  assert.throws(() => counter.inc({ a: "1" } as never), /label "b" has no value/);
});

Deno.test("the same 5,000 events give the same samples as prom-client", async () => {
  const random = new Random(8484);
  const buckets = [0.0005, 0.001, 0.01, 0.1, 1, 2.5];
  const ours = new Registry();
  const theirs = new reference.Registry();
  const registers = [theirs];
  const ourCounter = ours.add(
    new Counter({ name: "q_total", help: "queries", labelNames: ["door", "rcode"] }),
  );
  const theirCounter = new reference.Counter({
    name: "q_total",
    help: "queries",
    labelNames: ["door", "rcode"],
    registers,
  });
  const ourHistogram = ours.add(
    new Histogram({ name: "d_seconds", help: "time", labelNames: ["source"], buckets }),
  );
  const theirHistogram = new reference.Histogram({
    name: "d_seconds",
    help: "time",
    labelNames: ["source"],
    buckets,
    registers,
  });
  const pick = <T>(items: T[]) => items[random.int(items.length)];
  for (let i = 0; i < 5000; i++) {
    const labels = { door: pick(["doh", "udp", "tcp", 'we"ird\\']), rcode: pick(["0", "3"]) };
    const by = random.int(3) + 1;
    ourCounter.inc(labels, by);
    theirCounter.inc(labels, by);
    const source = { source: pick(["cache", "upstream", "blocked"]) };
    // Values on the bounds too: a bucket counts what is less than or equal to it.
    const value = random.int(4) === 0 ? pick(buckets) : random.int(3000) / 1000;
    ourHistogram.observe(source, value);
    theirHistogram.observe(source, value);
  }
  const text = await ours.metrics();
  assertWellFormed(text);
  const mine = samples(text);
  const reference_ = samples(await theirs.metrics());
  // Sums are added in the same order by both: equal to the last bit.
  assert.deepEqual(mine, reference_);
  assert.ok(mine.length > 30);
});
