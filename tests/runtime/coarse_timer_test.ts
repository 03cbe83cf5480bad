/** Coarse timeouts: fire once, about on time; cancelled ones never; the ticker stops when idle. */
import assert from "node:assert/strict";
import { coarseTimeout, CoarseTimer } from "../../runtime/coarse_timer.ts";
import { LightTimers } from "../../runtime/light_timer.ts";

Deno.test("a coarse timeout fires once, no earlier than asked and at most a tick or two late", async () => {
  const started = performance.now();
  const fired: number[] = [];
  coarseTimeout(30, () => fired.push(performance.now() - started));
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(fired.length, 1);
  assert.ok(fired[0] >= 30 && fired[0] < 70, `fired after ${fired[0]} ms`);
});

/**
 * Waits until nothing is pending on `timer` (at most two seconds: tests running in parallel may
 * hold the ticker up, and timeouts set meanwhile then fire as late as it was), then lets the
 * idle ticker wind down, so no timer is left for the op sanitizer.
 */
async function settle(timer: CoarseTimer): Promise<void> {
  for (let waited = 0; timer.pending > 0 && waited < 2000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 1200));
}

Deno.test("cancelled timeouts never fire, and others in the same slot still do", async () => {
  const timer = new CoarseTimer(new LightTimers());
  let fired = 0;
  const kept = timer.timeout(20, () => fired++);
  const cancelled = timer.timeout(20, () => fired += 100);
  cancelled.cancel();
  await settle(timer);
  assert.equal(fired, 1);
  kept.cancel(); // after firing: nothing happens
  assert.equal(timer.pending, 0);
});

Deno.test("timeouts cancelled in any order, some from a firing one, never fire; the rest once each", async () => {
  const timer = new CoarseTimer(new LightTimers());
  const fired = new Map<number, number>();
  const timeouts = Array.from({ length: 200 }, (_, i) =>
    timer.timeout(15, () => {
      fired.set(i, (fired.get(i) ?? 0) + 1);
      // The first to fire cancels some of those still waiting in the same slot.
      if (fired.size === 1) { for (let j = 150; j < 200; j += 2) timeouts[j].cancel(); }
    }));
  const cancelled = new Set<number>();
  for (let i = 0; i < 100; i += 3) {
    timeouts[(i * 37) % 100].cancel();
    cancelled.add((i * 37) % 100);
  }
  await settle(timer);
  for (let i = 0; i < 200; i++) {
    const times = fired.get(i) ?? 0;
    if (cancelled.has(i)) assert.equal(times, 0, `cancelled ${i} fired`);
    else assert.ok(times <= 1, `${i} fired ${times} times`);
  }
  const cancelledLater = [...Array(25).keys()].map((k) => 150 + 2 * k)
    .filter((j) => (fired.get(j) ?? 0) === 0).length;
  assert.ok(cancelledLater >= 24, "those cancelled from the firing callback stayed quiet");
  assert.equal(
    [...fired.values()].reduce((a, b) => a + b, 0),
    200 - cancelled.size - cancelledLater,
  );
});

Deno.test("while the ticker runs, a timeout reads no clock, and fires no earlier than asked", async () => {
  const timer = new CoarseTimer(new LightTimers());
  // The first timeout starts the ticker; let it tick a few times.
  const first = timer.timeout(500, () => {});
  await new Promise((resolve) => setTimeout(resolve, 35));
  const now = performance.now;
  let reads = 0;
  performance.now = () => {
    reads++;
    return now.call(performance);
  };
  const started = now.call(performance);
  let firedAt = 0;
  let fired: Promise<unknown>;
  try {
    for (let i = 0; i < 1000; i++) timer.timeout(40, () => {}).cancel();
    fired = new Promise((resolve) =>
      timer.timeout(40, () => resolve(firedAt = now.call(performance)))
    );
    assert.equal(reads, 0, "no clock read per timeout");
  } finally {
    performance.now = now;
  }
  await fired;
  first.cancel();
  // Never early while the ticker runs on time; a loaded machine (tests run in parallel) may
  // run it a slot late, and then the timeout as much early.
  assert.ok(firedAt - started >= 40 - 10, `fired after ${firedAt - started} ms`);
  assert.ok(firedAt - started < 1000, `fired after ${firedAt - started} ms`);
  // Let the idle ticker wind down so no timer is left (the op sanitizer).
  await new Promise((resolve) => setTimeout(resolve, 1200));
});

Deno.test("a slot's list emptied by cancels serves the next timeouts of that slot, each fired once", async () => {
  const timer = new CoarseTimer(new LightTimers());
  let fired = 0;
  for (let i = 0; i < 100; i++) timer.timeout(30, () => fired += 100).cancel();
  const kept = [timer.timeout(30, () => fired++), timer.timeout(30, () => fired++)];
  timer.timeout(30, () => fired += 100).cancel();
  assert.equal(timer.pending, 2);
  await settle(timer);
  assert.equal(fired, 2);
  assert.equal(timer.pending, 0);
  kept.forEach((timeout) => timeout.cancel());
});

Deno.test("a timeout may call an object's expire instead of a function, once, unless cancelled", async () => {
  const timer = new CoarseTimer(new LightTimers());
  const expired: string[] = [];
  const target = (name: string) => ({ expire: () => void expired.push(name) });
  timer.timeout(10, target("cancelled")).cancel();
  await new Promise((resolve) => timer.timeout(20, { expire: () => resolve(undefined) }));
  timer.timeout(0, target("kept"));
  await new Promise((resolve) => timer.timeout(30, () => resolve(undefined)));
  assert.deepEqual(expired, ["kept"]);
  assert.equal(timer.pending, 0);
  // Let the idle ticker wind down so no timer is left (the op sanitizer).
  await new Promise((resolve) => setTimeout(resolve, 1200));
});

Deno.test("a ticker held up by a long synchronous task fires the timeouts set meanwhile late, never early", async () => {
  const timer = new CoarseTimer(new LightTimers());
  const running = timer.timeout(5000, () => {});
  await new Promise((resolve) => setTimeout(resolve, 35));
  // The thread is held: the ticker's last slot is far behind when the next timeouts are set.
  const held = performance.now();
  while (performance.now() - held < 300) {
    // a long synchronous task
  }
  const setAt = performance.now();
  const waited = await new Promise<number>((resolve) =>
    timer.timeout(100, () => resolve(performance.now() - setAt))
  );
  running.cancel();
  assert.ok(waited >= 100 - 1, `fired ${waited} ms after it was set for 100`);
  assert.ok(waited < 1000, `fired ${waited} ms after it was set for 100`);
  assert.equal(timer.pending, 0);
  await new Promise((resolve) => setTimeout(resolve, 1200));
});

Deno.test("zero, negative, NaN, Infinity and past-setTimeout timeouts fire on the next tick, as setTimeout's", async () => {
  const timer = new CoarseTimer(new LightTimers());
  const fired: number[] = [];
  for (const ms of [0, -5, NaN, Infinity, 2 ** 31]) timer.timeout(ms, () => fired.push(ms));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(fired, [0, -5, NaN, Infinity, 2 ** 31]);
  assert.equal(timer.pending, 0, "nothing keeps the ticker running");
  await new Promise((resolve) => setTimeout(resolve, 1200));
});

Deno.test("a timeout hours away waits; cancelled, twice or after another fired, it leaves nothing", async () => {
  const timer = new CoarseTimer(new LightTimers());
  let fired = 0;
  const hours = timer.timeout(3 * 3_600_000, () => fired += 100);
  const soon = timer.timeout(10, () => fired++);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(fired, 1);
  assert.equal(timer.pending, 1, "the one hours away still waits");
  hours.cancel();
  hours.cancel();
  soon.cancel();
  assert.equal(timer.pending, 0);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal(fired, 1);
});

Deno.test("lists emptied by cancelling long timeouts are not held until their time", async () => {
  const timer = new CoarseTimer(new LightTimers());
  // Ten minutes (HTTP_BODY_TIMEOUT_MS at most), each in a slot of its own, cancelled at once.
  for (let i = 0; i < 5000; i++) timer.timeout(600_000 + i * 10, () => {}).cancel();
  assert.equal(timer.pending, 0);
  const kept = timer.timeout(600_000, () => {});
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.ok(timer.slotsHeld <= 2, `${timer.slotsHeld} slot lists held`);
  kept.cancel();
  await new Promise((resolve) => setTimeout(resolve, 1200));
});

Deno.test("a tick looks at the slots begun since the last one, not at every list held", async () => {
  const timer = new CoarseTimer(new LightTimers());
  // Long timeouts in 5,000 slots of their own, waiting, as POST deadlines under load.
  const far = Array.from({ length: 5000 }, (_, i) => timer.timeout(60_000 + i * 10, () => {}));
  let fired = 0;
  const near = [timer.timeout(20, () => fired++), timer.timeout(45, () => fired++)];
  const looked = timer.slotsLooked;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const slotsPassed = Math.ceil((performance.now() - started) / 10) + 2;
  assert.equal(fired, 2);
  assert.ok(
    timer.slotsLooked - looked <= slotsPassed,
    `${timer.slotsLooked - looked} slots looked at over ${slotsPassed} slots of time`,
  );
  [...far, ...near].forEach((timeout) => timeout.cancel());
  // Idle, the ticker stops and lets go of every list: none is left behind its next start.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal(timer.slotsHeld, 0);
  await new Promise((resolve) => timer.timeout(10, () => resolve(undefined)));
  await new Promise((resolve) => setTimeout(resolve, 1200));
});
