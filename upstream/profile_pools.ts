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

export class ProfilePools {
  readonly #createPool: ProfilePoolsOptions["createPool"];
  readonly #closeDelayMs: number;
  readonly #maxPools: number;
  /** Upstreams' key → pool, the one used last at the end. */
  readonly #pools = new Map<string, Pool>();
  readonly #keys = new WeakMap<Profile, string>();
  readonly #retired = new Map<ReturnType<typeof setTimeout>, Pool>();

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
    let key = this.#keys.get(profile);
    if (key === undefined) {
      key = upstreamsKey(upstreams);
      this.#keys.set(profile, key);
    }
    let pool = this.#pools.get(key);
    if (pool !== undefined) {
      this.#pools.delete(key);
      this.#pools.set(key, pool);
      return pool;
    }
    pool = this.#createPool(upstreams.map(parseUpstreamUrl));
    if (this.#pools.size >= this.#maxPools) this.#retireOldest();
    this.#pools.set(key, pool);
    return pool;
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
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
  }

  #retireOldest(): void {
    const [key, pool] = this.#pools.entries().next().value!;
    this.#pools.delete(key);
    const timer = setTimeout(() => {
      this.#retired.delete(timer);
      pool.close();
    }, this.#closeDelayMs);
    Deno.unrefTimer(timer);
    this.#retired.set(timer, pool);
  }
}
