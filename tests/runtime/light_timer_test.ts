/** Light timeouts: fire once, never when cancelled, and never touch Node's timers. */
import assert from "node:assert/strict";
import { lightTimeout } from "../../runtime/light_timer.ts";
import { coarseTimeout } from "../../runtime/coarse_timer.ts";
import { createLineWriter } from "../../observe/line_writer.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a light timeout fires once, no earlier than asked", async () => {
  const started = performance.now();
  const fired: number[] = [];
  lightTimeout(20, () => fired.push(performance.now() - started));
  await sleep(60);
  assert.equal(fired.length, 1);
  assert.ok(fired[0] >= 19, `fired after ${fired[0]} ms`);
});

Deno.test("a cancelled light timeout never fires", async () => {
  let fired = 0;
  const timeout = lightTimeout(10, () => fired++);
  timeout.cancel();
  await sleep(40);
  assert.equal(fired, 0);
});

/**
 * Records every read of the global timer functions while `run` runs: Deno's are Node's, and
 * the first read loads Node's timer module (~4 ms of a cold start).
 */
async function globalTimerReads(run: () => Promise<void>): Promise<string[]> {
  const names = ["setTimeout", "setInterval"] as const;
  const saved = names.map((name) => Object.getOwnPropertyDescriptor(globalThis, name)!);
  const reads: string[] = [];
  names.forEach((name, i) => {
    const original = saved[i];
    const value = original.get ? original.get.call(globalThis) : original.value;
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get: () => (reads.push(name), value),
    });
  });
  try {
    await run();
  } finally {
    names.forEach((name, i) => Object.defineProperty(globalThis, name, saved[i]));
  }
  return reads;
}

Deno.test("what a fresh process sets before its first answers never reads Node's timers", async () => {
  const written: string[] = [];
  const reads = await globalTimerReads(async () => {
    const writer = createLineWriter({
      write: (bytes) =>
        Promise.resolve(written.push(new TextDecoder().decode(bytes)) && bytes.length),
      writeSync: (bytes) => bytes.length,
    }, { flushAfterMs: 5 });
    writer.write("{}");
    let fired = false;
    coarseTimeout(5, () => fired = true);
    await new Promise<void>((resolve) => lightTimeout(40, resolve));
    assert.ok(fired);
  });
  assert.deepEqual(reads, []);
  assert.equal(written.join(""), "{}\n");
});
