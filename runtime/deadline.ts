/**
 * A time budget that runs out when its time is up or when a parent's does, and that is
 * disposed of when the work ends. Every uncached query has two (its budget and its upstream
 * attempt), so they are cheap: `AbortSignal.any([parent, AbortSignal.timeout(ms)])` left its
 * timer running for the whole budget after the answer (firing later into a DOMException no one
 * read) and kept weak references for `any`; here the time is a coarse timeout
 * (runtime/coarse_timer.ts), cancelled when the work ends, and may fire up to a slot late.
 *
 * An AbortSignal and its controller, and a listener on each parent's, were most of what a
 * budget cost (`deno task bench:all`, miss rows): a deadline tells what follows it (a child
 * deadline, an upstream socket to close: an `Abortable`) directly, and makes an AbortSignal
 * only for work that asks for one (`signal`: fetch, a connect).
 */
import { type CoarseTimeout, coarseTimeout, type Expiring } from "./coarse_timer.ts";

/** What a deadline tells, once, when it runs out: a child deadline, a socket to close. */
export interface Abortable {
  abortWith(reason: unknown): void;
}

/**
 * A query's or an attempt's time budget (`aborted`, `reason`, and `signal` for work that
 * takes an AbortSignal); `dispose` when the work ends, whether or not the time was up.
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
 *
 * // A deadline follows another without any AbortSignal, and tells what follows it.
 * const query = new Deadline(60_000);
 * const upstream = new Deadline(60_000, query);
 * const closed: unknown[] = [];
 * upstream.onAbort({ abortWith: (reason) => closed.push(reason) });
 * query.abortWith("budget spent");
 * assert.equal(upstream.aborted, true);
 * assert.deepEqual(closed, ["budget spent"]);
 * query.dispose();
 * upstream.dispose();
 * ```
 */
export class Deadline implements Abortable, Expiring {
  #aborted = false;
  #reason: unknown = undefined;
  /** Made on the first read of `signal`. */
  #controller: AbortController | undefined;
  readonly #timeout: CoarseTimeout;
  /** What follows it: the first without an array (the usual case), the rest in `#others`. */
  #first: Abortable | undefined;
  #others: Abortable[] | undefined;
  #parent: AbortSignal | Deadline | undefined;
  #onParentAbort: (() => void) | undefined;

  constructor(ms: number, parent?: AbortSignal | Deadline) {
    // The deadline itself is what the timeout calls (`expire`): no closure per deadline.
    this.#timeout = coarseTimeout(ms, this);
    if (parent === undefined) return;
    if (parent.aborted) {
      this.abortWith(parent.reason);
      return;
    }
    this.#parent = parent;
    if (parent instanceof Deadline) {
      parent.onAbort(this);
    } else {
      const onParentAbort = this.#onParentAbort = () => this.abortWith(parent.reason);
      parent.addEventListener("abort", onParentAbort, { once: true });
    }
  }

  /** Whether its time (or a parent's) has run out. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why it ran out: a TimeoutError DOMException, or its parent's reason. */
  get reason(): unknown {
    return this.#reason;
  }

  /** An AbortSignal that aborts with it, made on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Tells `follower` when it runs out (at once if it has), until `offAbort` or `dispose`. */
  onAbort(follower: Abortable): void {
    if (this.#aborted) follower.abortWith(this.#reason);
    else if (this.#first === undefined) this.#first = follower;
    else (this.#others ??= []).push(follower);
  }

  /** `follower` is told nothing more. */
  offAbort(follower: Abortable): void {
    if (this.#first === follower) this.#first = undefined;
    else if (this.#others !== undefined) {
      const at = this.#others.indexOf(follower);
      if (at >= 0) this.#others.splice(at, 1);
    }
  }

  /** Its time is up: runs out with a TimeoutError (the coarse timeout calls it). */
  expire(): void {
    this.abortWith(new DOMException("Signal timed out.", "TimeoutError"));
  }

  /** Runs out now, with `reason` (once: later calls change nothing). */
  abortWith(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#timeout.cancel();
    this.#controller?.abort(reason);
    const first = this.#first;
    const others = this.#others;
    this.#first = this.#others = undefined;
    first?.abortWith(reason);
    if (others !== undefined) { for (const follower of others) follower.abortWith(reason); }
  }

  /** The work is over: the timeout and the ties to its parent go (it stays as it is). */
  dispose(): void {
    this.#timeout.cancel();
    this.#first = this.#others = undefined;
    const parent = this.#parent;
    if (parent === undefined) return;
    this.#parent = undefined;
    if (parent instanceof Deadline) parent.offAbort(this);
    else parent.removeEventListener("abort", this.#onParentAbort!);
  }
}
