/**
 * Picks the Redis client the settings ask for (DESIGN §6): Upstash REST when both of its
 * settings are there (it works everywhere, Deno Deploy included), else redis:// when a URL is
 * set, else none: undefined means memory-only mode.
 *
 * The clients are imported only when asked for: loading ioredis alone was a large share of a
 * cold start that, without Redis, never uses it (`deno task bench:all`, cold start;
 * tests/startup_graph_test.ts keeps npm packages out of the startup graph).
 */
import type { RedisStore, StoreOptions } from "./redis.ts";

export interface StoreConfig extends StoreOptions {
  /** REDIS_URL: redis:// or rediss://. */
  url?: string;
  /** UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN. */
  upstashUrl?: string;
  upstashToken?: string;
}

export async function createStore(config: StoreConfig): Promise<RedisStore | undefined> {
  const options: StoreOptions = {
    timeoutMs: config.timeoutMs,
    chunkSize: config.chunkSize,
    maxWaiting: config.maxWaiting,
  };
  if (config.upstashUrl && config.upstashToken) {
    const { createUpstashStore } = await import("./upstash.ts");
    return createUpstashStore(config.upstashUrl, config.upstashToken, options);
  }
  if (config.url) {
    const { createTcpRedisStore } = await import("./tcp_redis.ts");
    return createTcpRedisStore(config.url, options);
  }
  return undefined;
}
