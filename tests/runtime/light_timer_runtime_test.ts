/**
 * Light timeouts once the process is past its start (useRuntimeTimers): setTimeout ones, which
 * cancelling clears. Its own file: the switch is for the whole module instance.
 */
import assert from "node:assert/strict";
import { lightTimeout, useRuntimeTimers } from "../../runtime/light_timer.ts";

Deno.test("after useRuntimeTimers a light timeout is a setTimeout, cleared when cancelled", async () => {
  // Called as plain functions: the runtime's timers refuse any other `this` than the global.
  const { setTimeout: runtimeSetTimeout, clearTimeout: runtimeClearTimeout } = globalThis;
  const set: number[] = [];
  const cleared: unknown[] = [];
  globalThis.setTimeout = ((fire: () => void, ms: number) => {
    set.push(ms);
    return runtimeSetTimeout(fire, ms);
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer: number) => {
    cleared.push(timer);
    runtimeClearTimeout(timer);
  }) as typeof clearTimeout;
  try {
    useRuntimeTimers();
    let fired = 0;
    const started = performance.now();
    let firedAfter = 0;
    lightTimeout(20, () => (fired++, firedAfter = performance.now() - started));
    const cancelled = lightTimeout(10, () => fired += 100);
    cancelled.cancel();
    await new Promise((resolve) => runtimeSetTimeout(resolve, 60));
    assert.deepEqual(set, [20, 10]);
    assert.equal(cleared.length, 1);
    assert.equal(fired, 1);
    assert.ok(firedAfter >= 19, `fired after ${firedAfter} ms`);
  } finally {
    Object.assign(globalThis, {
      setTimeout: runtimeSetTimeout,
      clearTimeout: runtimeClearTimeout,
    });
  }
});
