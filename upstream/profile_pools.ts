/**
 * The upstream pools of profiles with their own upstreams (a profile's `upstreams`): one pool
 * per distinct list, made on the first query that needs it and shared by every profile with the
 * same upstreams. At most `maxPools` are kept; past that the one used longest ago goes, closed
 * only after a query could still be using it has run out of time, and is made again if asked for.
 */
import type { Profile } from "../pipeline/profile.ts";
import type { Pool } from "./router.ts";
import { parseUpstreamUrl, upstreamsKey, type UpstreamSpec } from "./url.ts";

export interface ProfilePoolsOptions {
  /** Makes a pool of these upstreams (as UPSTREAMS' pool is made). */
  createPool: (upstreams: UpstreamSpec[]) => Pool;
  /** How long a pool let go stays open for the queries still using it, milliseconds. */
  closeDelayMs: number;
  /** Distinct upstream lists kept at once. */
  maxPools?: number;
}

/** A pool held, and when it was last asked for (a count, not a time). */
interface Held {
  readonly key: string;
  readonly pool: Pool;
  used: number;
  /** False once let go: a profile that still points at it makes or finds another. */
  live: boolean;
}

export class ProfilePools {
  readonly #createPool: ProfilePoolsOptions["createPool"];
  readonly #closeDelayMs: number;
  readonly #maxPools: number;
  /** Upstreams' key -> the pool held for them. */
  readonly #pools = new Map<string, Held>();
  /** Each profile's pool, so that a query costs one lookup. */
  readonly #byProfile = new WeakMap<Profile, Held>();
  readonly #retired = new Map<ReturnType<typeof setTimeout>, Pool>();
  #uses = 0;

  constructor(options: ProfilePoolsOptions) {
    this.#createPool = options.createPool;
    this.#closeDelayMs = options.closeDelayMs;
    this.#maxPools = options.maxPools ?? 64;
  }

  /**
   * The pool of the profile's own upstreams; undefined when it has none (the default pool
   * answers it). Throws `UpstreamUrlError` for an upstream URL that does not parse.
   */
  poolFor(profile: Profile): Pool | undefined {
    const upstreams = profile.upstreams;
    if (upstreams === undefined) return undefined;
    let held = this.#byProfile.get(profile);
    if (held === undefined || !held.live) {
      const key = upstreamsKey(upstreams);
      held = this.#pools.get(key) ?? this.#hold(key, upstreams);
      this.#byProfile.set(profile, held);
    }
    held.used = ++this.#uses;
    return held.pool;
  }

  /** Pools held now (for tests and the startup line). */
  get size(): number {
    return this.#pools.size;
  }

  /** Closes every pool now (at shutdown). */
  close(): void {
    for (const [timer, pool] of this.#retired) {
      clearTimeout(timer);
      pool.close();
    }
    this.#retired.clear();
    for (const held of this.#pools.values()) held.pool.close();
    this.#pools.clear();
  }

  #hold(key: string, upstreams: readonly string[]): Held {
    const pool = this.#createPool(upstreams.map((url) => parseUpstreamUrl(url)));
    if (this.#pools.size >= this.#maxPools) this.#retireLeastUsed();
    const held: Held = { key, pool, used: 0, live: true };
    this.#pools.set(key, held);
    return held;
  }

  /** Lets the pool asked for longest ago go: closed once its queries have had their time. */
  #retireLeastUsed(): void {
    let oldest: Held | undefined;
    for (const held of this.#pools.values()) {
      if (oldest === undefined || held.used < oldest.used) oldest = held;
    }
    if (oldest === undefined) return;
    oldest.live = false;
    this.#pools.delete(oldest.key);
    const pool = oldest.pool;
    const timer = setTimeout(() => {
      this.#retired.delete(timer);
      pool.close();
    }, this.#closeDelayMs);
    Deno.unrefTimer(timer);
    this.#retired.set(timer, pool);
  }
}
