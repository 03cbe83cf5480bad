/**
 * A signal that aborts when its time is up or when a parent signal aborts, and that is
 * disposed of when the work ends. `AbortSignal.any([parent, AbortSignal.timeout(ms)])` per
 * query left its timer running for the whole budget after the answer (a few seconds of live
 * timers at thousands of queries a second, each firing into a DOMException no one read) and
 * kept weak references for `any`: a visible share of the miss path's CPU and GC.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort: (() => void) | undefined;

  constructor(ms: number, parent?: AbortSignal) {
    const controller = this.#controller;
    this.#timer = setTimeout(
      () => controller.abort(new DOMException("Signal timed out.", "TimeoutError")),
      ms,
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

  /** The work is over: the timer and the parent's listener go (the signal stays as it is). */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onParentAbort !== undefined) {
      this.#parent!.removeEventListener("abort", this.#onParentAbort);
    }
  }
}
