/**
 * Decisions the Redis store already paid a round trip for, kept a few seconds so a repeated
 * name costs none (DESIGN §6). Bounded: past `maxEntries` the oldest decision goes. Cleared
 * whenever the lists' version changes, so an edit on any instance takes effect at the next
 * version poll; the lifetime bounds staleness should polling fail. Keyed by what decided: the
 * name, and the lists a profile chose when it chose (redis_blocklist.ts makes the key).
 */
import type { Decision } from "./decision.ts";

export interface DecisionCacheOptions {
  lifetimeMs: number;
  maxEntries?: number;
  now?: () => number;
}

export class DecisionCache {
  #entries = new Map<string, { decision: Decision; expires: number }>();
  #lifetimeMs: number;
  #maxEntries: number;
  #now: () => number;

  constructor(options: DecisionCacheOptions) {
    this.#lifetimeMs = options.lifetimeMs;
    this.#maxEntries = options.maxEntries ?? 50_000;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): Decision | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires > this.#now()) return entry.decision;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, decision: Decision): void {
    if (this.#lifetimeMs <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { decision, expires: this.#now() + this.#lifetimeMs });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
