/**
 * A signal that aborts when its time is up or when a parent signal aborts, and that is
 * disposed of when the work ends. Every uncached query has two (its budget and its upstream
 * attempt), so they are cheap:
 * - `AbortSignal.any([parent, AbortSignal.timeout(ms)])` left its timer running for the whole
 *   budget after the answer (firing later into a DOMException no one read) and kept weak
 *   references for `any`;
 * - a `setTimeout` each, even cleared at once, was ~3 µs to make and clear.
 * So deadlines share one ticking timer: each waits in the bucket of its 10 ms slot, and
 * disposing of one only takes it out of its bucket. A deadline fires up to 10 ms late, nothing
 * next to seconds of budget. The ticker runs only while a deadline is pending.
 */

/** Slot width, milliseconds: how late a deadline may fire. */
const TICK_MS = 10;

/** Deadlines by the slot they end in; a tick fires every slot that has begun. */
const slots = new Map<number, Set<Deadline>>();
let ticker: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  const now = Math.floor(performance.now() / TICK_MS);
  for (const [slot, due] of slots) {
    if (slot > now) continue;
    slots.delete(slot);
    for (const deadline of due) deadline.expire();
  }
  if (slots.size === 0) stopTicking();
}

function stopTicking(): void {
  clearInterval(ticker);
  ticker = undefined;
}

function schedule(deadline: Deadline, slot: number): void {
  let due = slots.get(slot);
  if (due === undefined) slots.set(slot, due = new Set());
  due.add(deadline);
  ticker ??= setInterval(tick, TICK_MS);
}

export class Deadline {
  readonly #controller = new AbortController();
  readonly #slot: number;
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort: (() => void) | undefined;

  constructor(ms: number, parent?: AbortSignal) {
    const controller = this.#controller;
    this.#slot = Math.ceil((performance.now() + ms) / TICK_MS);
    schedule(this, this.#slot);
    if (parent !== undefined) {
      if (parent.aborted) controller.abort(parent.reason);
      else {
        this.#parent = parent;
        this.#onParentAbort = () => controller.abort(parent.reason);
        parent.addEventListener("abort", this.#onParentAbort, { once: true });
      }
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Time is up (called by the ticker). */
  expire(): void {
    this.#controller.abort(new DOMException("Signal timed out.", "TimeoutError"));
  }

  /** The work is over: it leaves its slot and the parent's listeners (the signal stays as it is). */
  dispose(): void {
    const due = slots.get(this.#slot);
    if (due?.delete(this) && due.size === 0) {
      slots.delete(this.#slot);
      // Nothing pending: the ticker stops, as a cleared timer would.
      if (slots.size === 0) stopTicking();
    }
    if (this.#onParentAbort !== undefined) {
      this.#parent!.removeEventListener("abort", this.#onParentAbort);
    }
  }
}
