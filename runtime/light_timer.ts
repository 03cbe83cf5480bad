/**
 * A timeout that does not load Node's timers while a process starts. Deno's global setTimeout
 * and setInterval are Node's (they return Timeout objects), and the first call of either loads
 * Node's timer module and what it needs, modules a cold start must not wait for (`deno task
 * bench:all`, cold start). AbortSignal.timeout runs on the runtime's own timers and costs
 * nothing of the kind.
 *
 * For the timers a fresh process sets before its first answers: the ticker of query deadlines,
 * the query log's flush, the first list load. An AbortSignal timeout cannot be cleared, though,
 * and each one that fires makes a DOMException (with its stack) and dispatches an event: under
 * load the ticker and the log's flush fire hundreds of times a second, which showed in a cached
 * answer's CPU (`deno task bench:all`, cached rows). So once the process is past its start
 * (`useRuntimeTimers`, which main.ts calls when it loads the rest of the app), light timeouts
 * are plain setTimeout ones, and cancelling clears them. Until then, cancelling only forgets
 * the callback: like a timer nobody cleared, the timeout keeps the process alive until its
 * time, so those are for short delays or for processes that exit on purpose.
 */

export interface LightTimeout {
  /** It will not fire (a no-op once it has). */
  cancel(): void;
}

/**
 * Light timeouts and the mode they are in, that mode their own: the process shares one
 * (`lightTimeout`, `useRuntimeTimers`), which main.ts switches once the app is loaded; a part
 * that must not follow that switch makes another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LightTimers } from "./light_timer.ts";
 *
 * const timers = new LightTimers();
 * assert.equal(timers.runtime, false, "AbortSignal timeouts until switched");
 * timers.useRuntimeTimers();
 * let fired = 0;
 * timers.timeout(5, () => fired += 100).cancel();
 * await new Promise((resolve) => timers.timeout(20, () => resolve(fired++)));
 * assert.equal(fired, 1, "once, and never the cancelled one");
 * ```
 */
export class LightTimers {
  #runtime = false;

  /** Whether timeouts are setTimeout ones now. */
  get runtime(): boolean {
    return this.#runtime;
  }

  /** From now on, timeouts are setTimeout ones (loading Node's timers now if nothing has). */
  useRuntimeTimers(): void {
    this.#runtime = true;
  }

  /** Calls `fire` once, `ms` milliseconds from now, unless cancelled first. */
  timeout(ms: number, fire: () => void): LightTimeout {
    if (this.#runtime) {
      const timer = setTimeout(fire, Math.max(0, ms));
      return { cancel: () => clearTimeout(timer) };
    }
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
}

/** The light timers the process shares: the coarse ticker, the query log, the list schedule. */
export const lightTimers: LightTimers = new LightTimers();

/** From now on, the shared light timeouts are setTimeout ones (loading Node's timers now if nothing has). */
export function useRuntimeTimers(): void {
  lightTimers.useRuntimeTimers();
}

/**
 * Calls `fire` once, `ms` milliseconds from now, unless cancelled first (on the shared light
 * timers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lightTimeout } from "./light_timer.ts";
 *
 * let fired = 0;
 * lightTimeout(5, () => fired += 100).cancel();
 * await new Promise((resolve) => lightTimeout(20, () => resolve(fired++)));
 * assert.equal(fired, 1, "once, and never the cancelled one");
 * ```
 */
export function lightTimeout(ms: number, fire: () => void): LightTimeout {
  return lightTimers.timeout(ms, fire);
}
