/**
 * What the gateway asks of Redis, whichever client speaks to it: today the shared answer
 * cache (binary values with an expiry, written in batches). Every call rejects only with
 * StoreError, within the store's timeout.
 */
import type { SharedStore } from "../cache/shared_tier.ts";

export interface RedisStore extends SharedStore {
  /** Which client and where, for the startup line (never the token or password). */
  readonly description: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Longest wait for one call, milliseconds. */
  timeoutMs: number;
}
