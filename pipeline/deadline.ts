/**
 * A signal that aborts when its time is up or when a parent signal aborts, and that is
 * disposed of when the work ends. Every uncached query has two (its budget and its upstream
 * attempt), so they are cheap: `AbortSignal.any([parent, AbortSignal.timeout(ms)])` left its
 * timer running for the whole budget after the answer (firing later into a DOMException no one
 * read) and kept weak references for `any`; here the time is a coarse timeout
 * (pipeline/coarse_timer.ts), cancelled when the work ends, and may fire up to a slot late.
 */
import { type CoarseTimeout, coarseTimeout } from "./coarse_timer.ts";

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
