/**
 * A signal that aborts when its time is up or when a parent signal aborts, and that is
 * disposed of when the work ends. Every uncached query has two (its budget and its upstream
 * attempt), so they are cheap: `AbortSignal.any([parent, AbortSignal.timeout(ms)])` left its
 * timer running for the whole budget after the answer (firing later into a DOMException no one
 * read) and kept weak references for `any`; here the time is a coarse timeout
 * (runtime/coarse_timer.ts), cancelled when the work ends, and may fire up to a slot late.
 */
import { type CoarseTimeout, coarseTimeout } from "./coarse_timer.ts";

/**
 * A query's or an attempt's time budget as an AbortSignal (`signal`); `dispose` when the work
 * ends, whether or not the time was up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deadline } from "./deadline.ts";
 *
 * const deadline = new Deadline(20);
 * await new Promise((resolve) => deadline.signal.addEventListener("abort", resolve));
 * assert.equal(deadline.signal.reason.name, "TimeoutError");
 * deadline.dispose();
 *
 * // A parent's abort (the client went away) passes down at once, with its reason.
 * const client = new AbortController();
 * const attempt = new Deadline(60_000, client.signal);
 * client.abort(new Error("client gone"));
 * assert.equal(attempt.signal.aborted, true);
 * assert.equal(attempt.signal.reason.message, "client gone");
 * attempt.dispose(); // its timer goes: nothing waits a minute for it
 * ```
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timeout: CoarseTimeout;
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort: (() => void) | undefined;

  constructor(ms: number, parent?: AbortSignal) {
    const controller = this.#controller;
    this.#timeout = coarseTimeout(
      ms,
      () => controller.abort(new DOMException("Signal timed out.", "TimeoutError")),
    );
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

  /** The work is over: the timeout and the parent's listener go (the signal stays as it is). */
  dispose(): void {
    this.#timeout.cancel();
    if (this.#onParentAbort !== undefined) {
      this.#parent!.removeEventListener("abort", this.#onParentAbort);
    }
  }
}
