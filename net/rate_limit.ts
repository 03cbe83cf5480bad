/**
 * Per-client rate limits: a token bucket per client, `burst` queries at once, refilled at
 * `rate` per second. IPv6 clients are counted per /64, as one host usually owns one.
 *
 * Two ways to say no. The UDP door (`check`), where source addresses can be forged and the
 * gateway must not be an amplifier against a spoofed victim: a client over its budget first
 * gets `burst` more empty TC=1 answers (no larger than its query; a real client moves to TCP,
 * where the address is proven), then silence until its bucket refills. HTTP (`wait`), where
 * the address is proven and the client can be told when to come back: 429 with Retry-After.
 *
 * A third: clients refused for being unknown (CLIENTS_ONLY, `ClientRefusals`), counted per door
 * and, at the HTTP doors, told 429 once their address has been refused often.
 *
 * The table of clients is bounded: when it is full, clients whose bucket has refilled (they
 * would start afresh anyway) go first, then the least recently added, so memory stays fixed
 * however many addresses a flood spoofs.
 */
import { parseAddress } from "./cidr.ts";

export type RateDecision = "answer" | "truncate" | "drop";

export interface RateLimitOptions {
  /** Queries per second a client may make, sustained. */
  rate: number;
  /** Queries a client may make at once; also how many TC answers follow before silence. */
  burst: number;
  /** Most clients tracked at once. */
  maxClients?: number;
  /** Clock in milliseconds, injectable for tests. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

const DEFAULT_MAX_CLIENTS = 100_000;
/** When the table is full, at least this share of it is freed at once (amortised O(1)). */
const EVICT_SHARE = 8;

export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions) {
    this.#rate = options.rate / 1000;
    this.#burst = options.burst;
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.#now = options.now ?? Date.now;
  }

  /** Clients tracked now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Counts one query from `address` and says what it gets. */
  check(address: string): RateDecision {
    const bucket = this.#bucket(address);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return "answer";
    }
    // In debt: up to `burst` TC answers, then silence (which costs nothing, so a client that
    // slows down recovers at the refill rate).
    if (bucket.tokens - 1 >= -this.#burst) {
      bucket.tokens -= 1;
      return "truncate";
    }
    return "drop";
  }

  /**
   * Counts one request from `address` and returns 0 when it may be served now; otherwise the
   * milliseconds until it may, and nothing is counted (a refused client is not pushed back).
   */
  wait(address: string): number {
    const bucket = this.#bucket(address);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.#untilWhole(bucket);
  }

  /** What `wait` would answer for `address` now, counting nothing. */
  peek(address: string): number {
    const bucket = this.#bucket(address);
    return bucket.tokens >= 1 ? 0 : this.#untilWhole(bucket);
  }

  /** Milliseconds until a bucket short of a token has a whole one again. */
  #untilWhole(bucket: Bucket): number {
    return Math.ceil((1 - bucket.tokens) / this.#rate);
  }

  /** The bucket of `address`, brought up to date; a new, full one for a client not held. */
  #bucket(address: string): Bucket {
    const key = clientKey(address);
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxClients) this.#evict(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      this.#refill(bucket, now);
    }
    return bucket;
  }

  #refill(bucket: Bucket, now: number): void {
    if (now > bucket.at) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#rate);
      bucket.at = now;
    }
  }

  #evict(now: number): void {
    const target = this.#buckets.size - Math.ceil(this.#maxClients / EVICT_SHARE);
    for (const [key, bucket] of this.#buckets) {
      this.#refill(bucket, now);
      if (bucket.tokens >= this.#burst) this.#buckets.delete(key);
    }
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
    }
  }
}

/** Where a refusal happened: the doors of pipeline/types.ts `Door`. */
export type RefusingDoor = "doh" | "json" | "udp" | "tcp" | "dot";

/** Ten refusals at once, then one every ten seconds; at most 10,000 addresses tracked. */
export const REFUSAL_LIMIT: RateLimitOptions = { rate: 0.1, burst: 10, maxClients: 10_000 };

/**
 * Clients refused for being unknown when only known clients are answered (CLIENTS_ONLY):
 * counted per door for `dns_clients_refused_total{door}` (never per ClientID: the labels stay
 * five), and, at the HTTP doors, throttled per address by a small token bucket of their own,
 * so a stranger guessing ClientIDs is told 429 with Retry-After after a few tries and each
 * further guess costs one bucket lookup. Known clients never draw on that bucket.
 */
export class ClientRefusals {
  /** Refusals so far, by door. */
  readonly counts: Record<RefusingDoor, number> = { doh: 0, json: 0, udp: 0, tcp: 0, dot: 0 };
  readonly #limiter: RateLimiter;

  constructor(limit: RateLimitOptions = REFUSAL_LIMIT) {
    this.#limiter = new RateLimiter(limit);
  }

  /** Counts one refusal at a door that answers strangers alike every time (the DNS doors). */
  count(door: RefusingDoor): void {
    this.counts[door]++;
  }

  /**
   * Counts one refusal of `address` at an HTTP door: 0 when it may be told why, else the
   * milliseconds until it may (it is told 429 meanwhile).
   */
  refuse(door: RefusingDoor, address: string): number {
    this.counts[door]++;
    return this.#limiter.wait(address);
  }
}

/** The address itself for IPv4, its /64 for IPv6. */
export function clientKey(address: string): string {
  if (!address.includes(":")) return address;
  const bytes = parseAddress(address);
  if (bytes === undefined) return address;
  const mapped = bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
  if (mapped) return bytes.subarray(12).join(".");
  return `${bytes.subarray(0, 8).toHex()}/64`;
}
