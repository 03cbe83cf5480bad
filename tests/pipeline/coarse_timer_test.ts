/** Coarse timeouts: fire once, about on time; cancelled ones never; the ticker stops when idle. */
import assert from "node:assert/strict";
import { coarseTimeout } from "../../pipeline/coarse_timer.ts";

Deno.test("a coarse timeout fires once, no earlier than asked and at most a tick or two late", async () => {
  const started = performance.now();
  const fired: number[] = [];
  coarseTimeout(30, () => fired.push(performance.now() - started));
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(fired.length, 1);
  assert.ok(fired[0] >= 30 && fired[0] < 70, `fired after ${fired[0]} ms`);
});

Deno.test("cancelled timeouts never fire, and others in the same slot still do", async () => {
  let fired = 0;
  const kept = coarseTimeout(20, () => fired++);
  const cancelled = coarseTimeout(20, () => fired += 100);
  cancelled.cancel();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(fired, 1);
  kept.cancel(); // after firing: nothing happens
  // The test's op sanitizer would fail it if the ticker were left running.
});
