/**
 * The soak's memory verdict (bench/rss_verdict.ts): a heap that grows to a plateau passes,
 * however late it settles within the first half; one that keeps growing fails.
 */
import assert from "node:assert/strict";
import { type RssSample, rssVerdict } from "../../bench/rss_verdict.ts";

const MIB = 2 ** 20;
const MAX_GROWTH = 0.05;

/** One sample a second for ten minutes, `level(seconds)` MiB with ±1 MiB of jitter. */
function series(level: (seconds: number) => number): RssSample[] {
  return Array.from({ length: 601 }, (_, seconds) => ({
    seconds,
    bytes: (level(seconds) + Math.sin(seconds * 7.3)) * MIB,
  }));
}

Deno.test("a heap that grows 31 % until 180 s and then stays passes", () => {
  // The run of issue 24: 106 MiB after the warm-up, a plateau of 138-140 MiB from 180 s on.
  const verdict = rssVerdict(
    series((s) => s < 120 ? 60 + s * 46 / 120 : s < 180 ? 106 + (s - 120) * 32 / 60 : 139),
    MAX_GROWTH,
  );
  assert.equal(verdict.pass, true, JSON.stringify(verdict));
  assert.ok(Math.abs(verdict.growth) < 0.01, JSON.stringify(verdict));
});

Deno.test("memory that keeps growing fails, even slowly and from a high start", () => {
  // 10 MiB a minute on top of 140 MiB: 50 MiB over the last five minutes.
  const verdict = rssVerdict(series((s) => 140 + s / 6), MAX_GROWTH);
  assert.equal(verdict.pass, false, JSON.stringify(verdict));
  assert.ok(verdict.growth > 0.2 && verdict.growth < 0.3, JSON.stringify(verdict));
  assert.ok(Math.abs(verdict.slope - MIB / 6) < MIB / 60, JSON.stringify(verdict));
});

Deno.test("a leak that starts only in the second half fails", () => {
  const verdict = rssVerdict(series((s) => s < 300 ? 139 : 139 + (s - 300) / 10), MAX_GROWTH);
  assert.equal(verdict.pass, false, JSON.stringify(verdict));
});

Deno.test("too few samples to judge pass, with no growth", () => {
  assert.deepEqual(rssVerdict([{ seconds: 0, bytes: MIB }], MAX_GROWTH), {
    slope: 0,
    growth: 0,
    pass: true,
  });
});
