/**
 * Timeouts that are set on every uncached query and almost never fire: its budget and its
 * upstream attempt. A `setTimeout` each (a Timeout object made and cleared per query) showed in
 * the miss path's profile; sharing one ticking interval took an uncached UDP query from ~100 to
 * ~72 µs of CPU (the DoH POST body deadline measured no better, and keeps its setTimeout). Here
 * each timeout waits in the set of its 10 ms slot, and cancelling one only takes it out of its set.
 * One fires up to 10 ms late, nothing next to budgets of seconds. The ticker runs only while a
 * timeout is pending, so like a timer it keeps the process alive only as long as it must.
 */

/** Slot width, milliseconds: how late a timeout may fire. */
const TICK_MS = 10;

export interface CoarseTimeout {
  /** It will not fire (a no-op once it has). */
  cancel(): void;
}

class Pending implements CoarseTimeout {
  readonly slot: number;
  readonly fire: () => void;

  constructor(slot: number, fire: () => void) {
    this.slot = slot;
    this.fire = fire;
  }

  cancel(): void {
    const due = slots.get(this.slot);
    if (due?.delete(this) && due.size === 0) {
      slots.delete(this.slot);
      if (slots.size === 0) stopTicking();
    }
  }
}

/** Pending timeouts by the slot they end in; a tick fires every slot that has begun. */
const slots = new Map<number, Set<Pending>>();
let ticker: ReturnType<typeof setInterval> | undefined;

/** Calls `fire` once, `ms` (up to 10 more) milliseconds from now, unless cancelled first. */
export function coarseTimeout(ms: number, fire: () => void): CoarseTimeout {
  const pending = new Pending(Math.ceil((performance.now() + ms) / TICK_MS), fire);
  let due = slots.get(pending.slot);
  if (due === undefined) slots.set(pending.slot, due = new Set());
  due.add(pending);
  ticker ??= setInterval(tick, TICK_MS);
  return pending;
}

function tick(): void {
  const now = Math.floor(performance.now() / TICK_MS);
  for (const [slot, due] of slots) {
    if (slot > now) continue;
    slots.delete(slot);
    for (const pending of due) pending.fire();
  }
  if (slots.size === 0) stopTicking();
}

function stopTicking(): void {
  clearInterval(ticker);
  ticker = undefined;
}
