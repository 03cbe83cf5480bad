/**
 * Timeouts that are set on every uncached query or DoH POST and almost never fire: the query's
 * budget, its upstream attempt, the POST body's deadline. A `setTimeout` each (a Timeout object
 * made and cleared per query) showed in the profiles of a miss and of a cached POST, so they
 * share one ticking interval (`deno task bench:all`, miss rows and cached h2 TLS POST: server
 * CPU per query). Here each timeout waits in the list of its slot (`TICK_MS` wide), and
 * cancelling one only takes it out of its list. One fires up to three slots late, nothing next to
 * budgets of seconds. The ticker is a chain of light timeouts (light_timer.ts:
 * a fresh process's first miss does not load Node's timers); it keeps the process alive while
 * a timeout is pending and for a second after the last.
 */

import { type LightTimers, lightTimers } from "./light_timer.ts";

/** Slot width, milliseconds: how late a timeout may fire. */
const TICK_MS = 10;
/** Ticks with nothing pending before the interval goes: about a second. */
const IDLE_TICKS = 100;
/** Longest timeout, ms, as setTimeout's: longer ones (Infinity too) fire at once, as there. */
const LONGEST_MS = 2 ** 31 - 1;

export interface CoarseTimeout {
  /** It will not fire (a no-op once it has). */
  cancel(): void;
}

/**
 * What a timeout may call instead of a function: an object's own method, so a part that sets
 * a timeout per query (runtime/deadline.ts) makes no closure for it.
 */
export interface Expiring {
  expire(): void;
}

class Pending implements CoarseTimeout {
  /** Tells the timer a cancelled timeout has left its slot's list. */
  readonly forget: () => void;
  slot: number;
  readonly fire: (() => void) | Expiring;
  /** The tick it was set after (its slot reckoned from that tick's), -1: from the clock. */
  tick = -1;
  /** The slot's list while pending, and where in it; undefined once fired or cancelled. */
  due: Pending[] | undefined;
  at = 0;

  constructor(forget: () => void, slot: number, fire: (() => void) | Expiring) {
    this.forget = forget;
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
    this.forget();
  }
}

/**
 * One ticker and the timeouts waiting on it, its state its own: the process shares one
 * (`coarseTimeout`); a part that must not wait on the others' ticker makes another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CoarseTimer } from "./coarse_timer.ts";
 * import { LightTimers } from "./light_timer.ts";
 *
 * const timer = new CoarseTimer(new LightTimers());
 * let fired = false;
 * timer.timeout(10, () => fired = true).cancel();
 * assert.equal(timer.pending, 0, "nothing waits on this ticker now");
 * await new Promise((resolve) => timer.timeout(20, () => resolve(undefined)));
 * assert.equal(fired, false);
 * ```
 */
export class CoarseTimer {
  /** What the ticker runs on: the shared light timers unless given others. */
  readonly #light: LightTimers;
  /**
   * Pending timeouts by the slot they end in; a tick fires every slot that has begun. Each
   * timeout knows its list and place, so cancelling one, even from a callback of the tick that
   * is firing its slot, takes it out (the list's last takes its place) and it never fires.
   */
  readonly #slots = new Map<number, Pending[]>();
  #pending = 0;
  #ticking = false;
  #idleTicks = 0;
  /** The slot the ticker last ran in (read from the clock then), while it ticks. */
  #tickSlot = 0;
  /** Ticks run so far: a timeout set since the last one knows its slot was reckoned from it. */
  #ticks = 0;
  /** Every slot up to this one has been fired: a tick looks only at the slots after it. */
  #walked = 0;
  /** Slots the ticks have looked at (tests). */
  #looked = 0;

  constructor(light: LightTimers = lightTimers) {
    this.#light = light;
  }

  /** Timeouts set and neither fired nor cancelled. */
  get pending(): number {
    return this.#pending;
  }

  /** Slots with a list held, emptied ones included (tests). */
  get slotsHeld(): number {
    return this.#slots.size;
  }

  /** Slots the ticks have looked at so far (tests). */
  get slotsLooked(): number {
    return this.#looked;
  }

  /**
   * Calls `fire` (or its `expire`) once, `ms` (up to three slots more) milliseconds from now,
   * unless cancelled first. While the ticker runs, now is taken as the end of the slot after
   * the one it last ran in, with no clock read per timeout (a clock read is an op, and every
   * miss and POST sets timeouts): the next tick is due at the end of its own slot but runs a
   * little after, and until it runs now may be past that end. A ticker that runs late (a long
   * synchronous task held the thread) moves the timeouts set since its last run by its
   * lateness before it fires any: they fire late then, never early. As setTimeout: zero,
   * negative and NaN fire on the next tick, and so do more than setTimeout takes (Infinity too).
   */
  timeout(ms: number, fire: (() => void) | Expiring): CoarseTimeout {
    if (!(ms > 0 && ms <= LONGEST_MS)) ms = 0;
    const slot = this.#ticking
      ? this.#tickSlot + 2 + Math.ceil(ms / TICK_MS)
      : Math.ceil((performance.now() + ms) / TICK_MS);
    const timeout = new Pending(this.#forget, slot, fire);
    if (this.#ticking) timeout.tick = this.#ticks;
    this.#place(timeout);
    this.#pending++;
    // The ticker outlives the timeouts by a second, so queries one at a time do not each start
    // one (`deno task bench:all`, miss path one query at a time).
    this.#idleTicks = 0;
    if (!this.#ticking) {
      this.#ticking = true;
      this.#tickSlot = Math.floor(performance.now() / TICK_MS);
      this.#walked = this.#tickSlot - 1;
      this.#light.timeout(TICK_MS, this.#tick);
    }
    return timeout;
  }

  /**
   * A cancelled timeout has left its slot's list. An emptied list stays for the next timeouts
   * of that slot (made again for each one, the list and its map entry were most of what a
   * POST's deadline allocated), until its time passes or, at most a second, the tick drops it.
   */
  readonly #forget = (): void => {
    this.#pending--;
  };

  /** Into the list of its slot. */
  #place(timeout: Pending): void {
    let due = this.#slots.get(timeout.slot);
    if (due === undefined) this.#slots.set(timeout.slot, due = []);
    timeout.due = due;
    timeout.at = due.length;
    due.push(timeout);
  }

  /**
   * Fires the slots that have begun since the last tick: it walks them one by one (a tick
   * comes about once a slot), not every list held, which a POST's long deadline keeps many of
   * (`deno task bench:all`, cached h2 TLS POST); after a long stall it looks at the lists held
   * instead, whichever is fewer.
   */
  readonly #tick = (): void => {
    const last = this.#tickSlot;
    const now = this.#tickSlot = Math.floor(performance.now() / TICK_MS);
    // Slots this tick runs late by: what the timeouts set since the last were reckoned short.
    const late = now - last - 1;
    const ticked = this.#ticks++;
    const slots = this.#slots;
    // Once a second, the emptied lists of slots still ahead go: timeouts are set in a slot
    // for one slot's time only, and those of long timeouts (a POST body's, up to ten minutes)
    // would each be held until their time.
    if (ticked % IDLE_TICKS === 0) {
      slots.forEach((due, slot) => {
        if (slot > now && due.length === 0) slots.delete(slot);
      });
    }
    const from = this.#walked + 1;
    this.#walked = now;
    if (now - from < slots.size) {
      for (let slot = from; slot <= now; slot++) {
        this.#looked++;
        const due = slots.get(slot);
        if (due !== undefined) this.#fire(slot, due, now, late, ticked);
      }
    } else {
      for (const slot of [...slots.keys()]) {
        this.#looked++;
        if (slot <= now) this.#fire(slot, slots.get(slot)!, now, late, ticked);
      }
    }
    if (this.#pending === 0 && ++this.#idleTicks >= IDLE_TICKS) {
      this.#ticking = false;
      this.#idleTicks = 0;
      // Nothing pending: every list held is empty, and a slot behind the next start's walk
      // would be held for ever.
      slots.clear();
      return;
    }
    this.#light.timeout(TICK_MS, this.#tick);
  };

  /** Fires the timeouts of `slot`, which has begun; moves those set while the ticker was late. */
  #fire(slot: number, due: Pending[], now: number, late: number, ticked: number): void {
    this.#slots.delete(slot);
    for (const timeout of due) {
      if (late > 0 && timeout.tick === ticked && slot + late > now) {
        // Set while the ticker was held up: as late as it was, so never early.
        timeout.slot = slot + late;
        timeout.tick = -1;
        this.#place(timeout);
        continue;
      }
      timeout.due = undefined;
      this.#pending--;
      const fire = timeout.fire;
      if (typeof fire === "function") fire();
      else fire.expire();
    }
  }
}

/** The ticker query budgets, upstream attempts and POST bodies share. */
const shared = new CoarseTimer();

/**
 * Calls `fire` (or its `expire`) once, `ms` (up to a slot more) milliseconds from now, unless
 * cancelled first, on the shared ticker.
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
export function coarseTimeout(ms: number, fire: (() => void) | Expiring): CoarseTimeout {
  return shared.timeout(ms, fire);
}
