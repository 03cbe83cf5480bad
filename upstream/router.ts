/**
 * Conditional forwarding: names in a forward zone (`corp.example FORWARD udp://10.0.0.1:53` in
 * the records file) are asked of that zone's upstreams, the longest matching zone winning;
 * every other name goes to the default pool (UPSTREAMS). Each zone's upstreams form a pool of
 * their own, with the same failover and backoff as the default one.
 *
 * The zones can change while queries are in flight (the records file is reloaded): pools whose
 * upstreams did not change are kept, and a pool no longer used is closed only after a query
 * could still be using it has run out of time.
 */
import { parentNames } from "../dns/mod.ts";
import type { UpstreamPool } from "./pool.ts";
import type { UpstreamSpec } from "./url.ts";

export interface ForwardZone {
  /** Canonical zone name, e.g. "corp.example". */
  zone: string;
  upstreams: UpstreamSpec[];
}

export type Pool = Pick<UpstreamPool, "resolve" | "close">;

export interface RouterOptions {
  /** Makes the pool of one forward zone. */
  createPool: (upstreams: UpstreamSpec[]) => Pool;
  /** How long a pool that left the routes stays open for the queries still using it, ms. */
  closeDelayMs: number;
}

export class UpstreamRouter {
  #createPool: RouterOptions["createPool"];
  #closeDelayMs: number;
  /** Zone -> the key of its pool. */
  #zones = new Map<string, string>();
  /** Upstream URLs joined -> pool, so zones with the same upstreams share one. */
  #pools = new Map<string, Pool>();
  /** Retired pools waiting for their queries to finish, by the timer that will close them. */
  #closing = new Map<ReturnType<typeof setTimeout>, Pool[]>();

  constructor(options: RouterOptions) {
    this.#createPool = options.createPool;
    this.#closeDelayMs = options.closeDelayMs;
  }

  /** The pool for `name` when a forward zone holds it; undefined means the default pool. */
  route(name: string): Pool | undefined {
    if (this.#zones.size === 0) return undefined;
    for (const candidate of parentNames(name)) {
      const key = this.#zones.get(candidate);
      if (key !== undefined) return this.#pools.get(key);
    }
    return undefined;
  }

  /** Replaces the forward zones; pools with unchanged upstreams carry on. */
  update(zones: readonly ForwardZone[]): void {
    const routes = new Map<string, string>();
    const pools = new Map<string, Pool>();
    for (const { zone, upstreams } of zones) {
      const key = upstreams.map((spec) => spec.url).join(" ");
      routes.set(zone, key);
      if (!pools.has(key)) pools.set(key, this.#pools.get(key) ?? this.#createPool(upstreams));
    }
    const retired = [...this.#pools].filter(([key]) => !pools.has(key)).map(([, pool]) => pool);
    this.#zones = routes;
    this.#pools = pools;
    if (retired.length > 0) this.#closeLater(retired);
  }

  /** Closes every pool now (at shutdown). */
  close(): void {
    for (const [timer, pools] of this.#closing) {
      clearTimeout(timer);
      for (const pool of pools) pool.close();
    }
    this.#closing.clear();
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
    this.#zones.clear();
  }

  #closeLater(pools: Pool[]): void {
    const timer = setTimeout(() => {
      this.#closing.delete(timer);
      for (const pool of pools) pool.close();
    }, this.#closeDelayMs);
    Deno.unrefTimer(timer);
    this.#closing.set(timer, pools);
  }
}
