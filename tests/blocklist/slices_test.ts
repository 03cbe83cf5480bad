/**
 * A big list is parsed, indexed and hashed while the event loop keeps turning: timers (and so
 * queries) get turns between slices, and the result is the same as doing it at once.
 */
import assert from "node:assert/strict";
import { contentId } from "../../blocklist/content_id.ts";
import { DomainSet } from "../../blocklist/domain_set.ts";
import { parseList, parseSteps } from "../../blocklist/parse.ts";
import { runInSlices } from "../../blocklist/slices.ts";

const LINES = 200_000;
const text = Array.from({ length: LINES }, (_, i) => `0.0.0.0 host${i}.example`).join("\n");

/** Counts the turns a timer that asks for one as often as it can gets while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    turns++;
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  try {
    return { value: await work(), turns };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("parsing a 200,000-line list in slices lets timers run and parses the same", async () => {
  const { value, turns } = await turnsDuring(() => runInSlices(parseSteps(text), 1));
  assert.ok(turns >= 3, `timers ran ${turns} times`);
  assert.deepEqual(value, parseList(text));
});

Deno.test("building a domain set in slices lets timers run and holds the same entries", async () => {
  const names = parseList(text).block;
  const { value, turns } = await turnsDuring(() => runInSlices(DomainSet.buildSteps(names), 1));
  assert.ok(turns >= 3, `timers ran ${turns} times`);
  assert.equal(value.size, LINES);
  assert.equal(value.matchName("a.host199999.example"), "host199999.example");
  assert.equal(value.matchName("host200000.example"), undefined);
});

Deno.test("a content id changes with any character, wherever the pieces are cut", async () => {
  const big = "x".repeat((1 << 20) - 1);
  const base = await contentId(`${big}\u{1F600}tail`);
  assert.equal(await contentId(`${big}\u{1F600}tail`), base, "same text, same id");
  // A surrogate pair straddles the 1 Mi-character cut: either half changing must show.
  assert.notEqual(await contentId(`${big}\u{1F601}tail`), base);
  assert.notEqual(await contentId(`${big}\u{1F600}tall`), base);
  assert.notEqual(await contentId(""), await contentId(" "));
});
