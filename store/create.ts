/**
 * Picks the Redis client the settings ask for (DESIGN §6): Upstash REST when both of its
 * settings are there (it works everywhere, Deno Deploy included), else redis:// when a URL is
 * set, else none: undefined means memory-only mode.
 */
import type { RedisStore, StoreOptions } from "./redis.ts";
import { createTcpRedisStore } from "./tcp_redis.ts";
import { createUpstashStore } from "./upstash.ts";

export interface StoreConfig extends StoreOptions {
  /** REDIS_URL: redis:// or rediss://. */
  url?: string;
  /** UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN. */
  upstashUrl?: string;
  upstashToken?: string;
}

export function createStore(config: StoreConfig): RedisStore | undefined {
  const options: StoreOptions = { timeoutMs: config.timeoutMs, chunkSize: config.chunkSize };
  if (config.upstashUrl && config.upstashToken) {
    return createUpstashStore(config.upstashUrl, config.upstashToken, options);
  }
  if (config.url) return createTcpRedisStore(config.url, options);
  return undefined;
}
