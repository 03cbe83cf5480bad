/**
 * A timeout that does not load Node's timers. Deno's global setTimeout and setInterval are
 * Node's (they return Timeout objects), and the first call of either loads Node's timer module
 * and what it needs, 21 modules: ~4 ms of a cold start (a bare Deno.serve that sets one
 * setTimeout started in 26.3 ms instead of 22.4, medians of 11). AbortSignal.timeout runs on
 * the runtime's own timers and costs nothing of the kind.
 *
 * For the timers a fresh process sets before its first answers: the ticker of query deadlines,
 * the query log's flush, the first list load. Cancelling only forgets the callback: like a
 * timer nobody cleared, the timeout keeps the process alive until its time, so these are for
 * short delays or for processes that exit on purpose.
 */

export interface LightTimeout {
  /** It will not fire (a no-op once it has). */
  cancel(): void;
}

/** Calls `fire` once, `ms` milliseconds from now, unless cancelled first. */
export function lightTimeout(ms: number, fire: () => void): LightTimeout {
  let live = true;
  AbortSignal.timeout(Math.max(0, ms)).addEventListener("abort", () => {
    if (!live) return;
    live = false;
    fire();
  }, { once: true });
  return {
    cancel() {
      live = false;
    },
  };
}
