/**
 * Timeouts that are set on every uncached query or DoH POST and almost never fire: the query's
 * budget, its upstream attempt, the POST body's deadline. A `setTimeout` each (a Timeout object
 * made and cleared per query) showed in the profiles of a miss and of a cached POST, so they
 * share one ticking interval (`deno task bench:all`, miss rows and cached h2 TLS POST: server
 * CPU per query). Here each timeout waits in the list of its slot (`TICK_MS` wide), and
 * cancelling one only takes it out of its list. One fires up to a slot late, nothing next to
 * budgets of seconds. The ticker is a chain of light timeouts (light_timer.ts:
 * a fresh process's first miss does not load Node's timers); it keeps the process alive while
 * a timeout is pending and for a second after the last.
 */

import { lightTimeout } from "./light_timer.ts";

/** Slot width, milliseconds: how late a timeout may fire. */
const TICK_MS = 10;
/** Ticks with nothing pending before the interval goes: about a second. */
const IDLE_TICKS = 100;

export interface CoarseTimeout {
  /** It will not fire (a no-op once it has). */
  cancel(): void;
}

class Pending implements CoarseTimeout {
  readonly slot: number;
  readonly fire: () => void;
  /** The slot's list while pending, and where in it; undefined once fired or cancelled. */
  due: Pending[] | undefined;
  at = 0;

  constructor(slot: number, fire: () => void) {
    this.slot = slot;
    this.fire = fire;
  }

  /** Out of its slot's list in one step: the list's last timeout takes its place. */
  cancel(): void {
    const due = this.due;
    if (due === undefined) return;
    this.due = undefined;
    const last = due.pop()!;
    if (last !== this) {
      due[this.at] = last;
      last.at = this.at;
    }
    if (due.length === 0) slots.delete(this.slot);
    settled();
  }
}

/**
 * Pending timeouts by the slot they end in; a tick fires every slot that has begun. Each
 * timeout knows its list and place, so cancelling one, even from a callback of the tick that is
 * firing its slot, takes it out (the list's last takes its place) and it never fires.
 */
const slots = new Map<number, Pending[]>();
let pending = 0;
let ticking = false;
let idleTicks = 0;

/**
 * Calls `fire` once, `ms` (up to a slot more) milliseconds from now, unless cancelled first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { coarseTimeout } from "./coarse_timer.ts";
 *
 * const started = performance.now();
 * const waited = await new Promise<number>((resolve) => {
 *   coarseTimeout(30, () => resolve(performance.now() - started));
 * });
 * assert.ok(waited >= 30, `fired after ${waited}, never early`);
 *
 * let fired = false;
 * coarseTimeout(10, () => fired = true).cancel();
 * await new Promise((resolve) => coarseTimeout(40, () => resolve(undefined)));
 * assert.equal(fired, false, "a cancelled timeout never fires");
 * ```
 */
export function coarseTimeout(ms: number, fire: () => void): CoarseTimeout {
  const timeout = new Pending(Math.ceil((performance.now() + ms) / TICK_MS), fire);
  let due = slots.get(timeout.slot);
  if (due === undefined) slots.set(timeout.slot, due = []);
  timeout.due = due;
  timeout.at = due.length;
  due.push(timeout);
  pending++;
  // The ticker outlives the timeouts by a second, so queries one at a time do not each start
  // one (`deno task bench:all`, miss path one query at a time).
  idleTicks = 0;
  if (!ticking) {
    ticking = true;
    lightTimeout(TICK_MS, tick);
  }
  return timeout;
}

function settled(): void {
  pending--;
}

function tick(): void {
  const now = Math.floor(performance.now() / TICK_MS);
  for (const [slot, due] of slots) {
    if (slot > now) continue;
    slots.delete(slot);
    for (const timeout of due) {
      timeout.due = undefined;
      settled();
      timeout.fire();
    }
  }
  if (pending === 0 && ++idleTicks >= IDLE_TICKS) {
    ticking = false;
    idleTicks = 0;
    return;
  }
  lightTimeout(TICK_MS, tick);
}
