/**
 * A bound on the calls waiting on Redis at once (REDIS_MAX_WAITING). A Redis that hangs answers
 * nothing, and every call made meanwhile holds its command, buffers and promises until the
 * client is done with it, which can be well after its caller gave up at the timeout: without a
 * bound a busy gateway piles them up by the thousand. A call over the bound fails at once with
 * a StoreError, sends nothing, and is counted as dropped.
 */
import { StoreError } from "./errors.ts";

/** Calls waiting on Redis now, and calls dropped so far for want of room. */
export interface CallCounts {
  waiting: number;
  dropped: number;
}

export const DEFAULT_MAX_WAITING = 1000;

export class CallLimit {
  #max: number;
  #waiting = 0;
  #dropped = 0;

  constructor(max: number = DEFAULT_MAX_WAITING) {
    this.#max = max;
  }

  /**
   * Runs `work` when fewer than the bound are waiting. It counts until it settles, not until
   * its caller stops waiting for it: until then it still holds memory.
   */
  run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.#waiting >= this.#max) {
      this.#dropped++;
      return Promise.reject(
        new StoreError(`redis ${operation} dropped: ${this.#max} calls already waiting`),
      );
    }
    this.#waiting++;
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.finally(() => this.#waiting--);
  }

  counts(): CallCounts {
    return { waiting: this.#waiting, dropped: this.#dropped };
  }
}
