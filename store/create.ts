/** Picks the Redis client the settings ask for: Upstash REST, redis://, or none (memory only). */
import { createIoredisStore } from "./ioredis_store.ts";
import type { RedisStore } from "./redis_store.ts";
import { createUpstashStore } from "./upstash_store.ts";

export interface StoreConfig {
  url?: string;
  upstashUrl?: string;
  upstashToken?: string;
  timeoutMs: number;
}

export function createStore(config: StoreConfig): RedisStore | undefined {
  const options = { timeoutMs: config.timeoutMs };
  if (config.upstashUrl && config.upstashToken) {
    return createUpstashStore(config.upstashUrl, config.upstashToken, options);
  }
  if (config.url) return createIoredisStore(config.url, options);
  return undefined;
}
