/**
 * The upstreams in the order the user listed them, tried one after another until one gives a
 * usable answer: each attempt gets its own timeout inside the query's budget. SERVFAIL and
 * REFUSED count as failures (another upstream may do better). An upstream that failed is moved
 * behind the healthy ones for a backoff that doubles with each consecutive failure, so a dead
 * first upstream does not cost every query a timeout; it is still tried as a last resort.
 */
import { Deadline } from "../runtime/deadline.ts";
import { headerRcode, Rcode } from "../dns/mod.ts";
import {
  AllUpstreamsFailedError,
  describeError,
  UpstreamError,
  type UpstreamErrorKind,
} from "./errors.ts";
import type { Transport } from "./transport.ts";

export interface PoolOptions {
  /** How long one upstream gets before the next is tried. */
  attemptTimeoutMs: number;
  /** Backoff after the first consecutive failure; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Injectable clock (DESIGN §8). */
  now?: () => number;
  /** Told about every attempt, for metrics: which upstream, how long, and how it ended. */
  onAttempt?: (attempt: AttemptOutcome) => void;
}

/** One upstream asked once: "answer", or the kind of failure (SERVFAIL/REFUSED are "rcode"). */
export interface AttemptOutcome {
  upstream: string;
  ms: number;
  outcome: "answer" | UpstreamErrorKind;
}

export interface PoolReply {
  /** The upstream's reply as received (its own ID). */
  bytes: Uint8Array;
  /** Which upstream answered, by URL. */
  upstream: string;
  /** How many upstreams were asked, this one included. */
  attempts: number;
}

interface Member {
  transport: Transport;
  failures: number;
  downUntil: number;
}

export class UpstreamPool {
  #members: Member[];
  #attemptTimeoutMs: number;
  #backoffMs: number;
  #maxBackoffMs: number;
  #now: () => number;
  #onAttempt?: (attempt: AttemptOutcome) => void;

  constructor(transports: Transport[], options: PoolOptions) {
    if (transports.length === 0) throw new RangeError("an upstream pool needs an upstream");
    this.#members = transports.map((transport) => ({ transport, failures: 0, downUntil: 0 }));
    this.#attemptTimeoutMs = options.attemptTimeoutMs;
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#onAttempt = options.onAttempt;
  }

  /** Upstream URLs in the order the next query would try them. */
  order(): string[] {
    return this.#ordered().map((member) => member.transport.name);
  }

  /**
   * Asks upstreams in turn; rejects with `AllUpstreamsFailedError` (and nothing else) when none
   * answered usefully, at the latest when `within` (the query's budget: a signal, or a
   * `Deadline`, which each attempt follows without an AbortSignal) runs out. An upstream's own
   * SERVFAIL is returned when nothing better came, as it may carry an Extended DNS Error worth
   * passing on.
   */
  async resolve(query: Uint8Array, within: AbortSignal | Deadline): Promise<PoolReply> {
    // Made only when an attempt fails, and no closure per attempt: this runs on every miss.
    let failures: UpstreamError[] | undefined;
    let servfail: PoolReply | undefined;
    let attempts = 0;
    const members = this.#ordered();
    for (let at = 0; at < members.length; at++) {
      const member = members[at];
      if (within.aborted) break;
      attempts++;
      const name = member.transport.name;
      const attempt = new Deadline(this.#attemptTimeoutMs, within);
      const started = performance.now();
      let bytes: Uint8Array;
      try {
        bytes = await member.transport.query(query, attempt);
      } catch (error) {
        const failure = error instanceof UpstreamError
          ? error
          : new UpstreamError(name, "network", describeError(error), { cause: error });
        (failures ??= []).push(failure);
        this.#report(name, started, failure.kind);
        // Our own lack of room is no sign of the upstream's health.
        if (failure.kind !== "busy") this.#failed(member);
        continue;
      } finally {
        attempt.dispose();
      }
      const rcode = headerRcode(bytes);
      const failed = rcode === Rcode.SERVFAIL || rcode === Rcode.REFUSED;
      this.#report(name, started, failed ? "rcode" : "answer");
      if (rcode === Rcode.SERVFAIL) {
        // One name failing (e.g. DNSSEC-bogus) says nothing about the upstream's health.
        servfail ??= { bytes, upstream: name, attempts };
        (failures ??= []).push(new UpstreamError(name, "rcode", "answered SERVFAIL"));
        continue;
      }
      if (rcode === Rcode.REFUSED) {
        (failures ??= []).push(new UpstreamError(name, "rcode", "answered REFUSED"));
        this.#failed(member);
        continue;
      }
      member.failures = 0;
      member.downUntil = 0;
      return { bytes, upstream: name, attempts };
    }
    if (servfail) return { ...servfail, attempts };
    failures ??= [];
    if (within.aborted && failures.length < this.#members.length) {
      failures.push(new UpstreamError("pool", "timeout", "the query's time budget ran out"));
    }
    throw new AllUpstreamsFailedError(failures);
  }

  close(): void {
    for (const member of this.#members) member.transport.close();
  }

  /** Healthy upstreams in configured order, then backed-off ones, soonest back first. */
  #ordered(): readonly Member[] {
    const now = this.#now();
    // The usual case, every upstream healthy: the configured order as it is, nothing copied
    // (and no closure made to find that out: this runs on every miss).
    let up = 0;
    while (up < this.#members.length && this.#members[up].downUntil <= now) up++;
    if (up === this.#members.length) return this.#members;
    const healthy = this.#members.filter((member) => member.downUntil <= now);
    const down = this.#members.filter((member) => member.downUntil > now)
      .sort((a, b) => a.downUntil - b.downUntil);
    return [...healthy, ...down];
  }

  /** Tells `onAttempt` how the attempt at `upstream`, begun at `started`, ended. */
  #report(upstream: string, started: number, outcome: AttemptOutcome["outcome"]): void {
    this.#onAttempt?.({ upstream, ms: performance.now() - started, outcome });
  }

  #failed(member: Member): void {
    member.failures++;
    const backoff = Math.min(this.#backoffMs * 2 ** (member.failures - 1), this.#maxBackoffMs);
    member.downUntil = this.#now() + backoff;
  }
}
