/**
 * Redis over its own protocol (`redis://` / `rediss://`, self-hosted) through ioredis, which
 * runs under Deno's Node compatibility. Values are Buffers, so DNS answers stay binary. The
 * client reconnects by itself; commands fail at once while it is disconnected (no offline
 * queue) and its error events are consumed, so Redis going away never surfaces as an
 * unhandled error.
 */
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { withTimeout } from "./errors.ts";
import type { RedisStore, StoreOptions } from "./redis_store.ts";

export function createIoredisStore(url: string, options: StoreOptions): RedisStore {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(options.timeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  });
  client.on("error", () => {
    // Reported through failing calls (StoreError); reconnecting is the client's job.
  });
  const { timeoutMs } = options;
  const where = new URL(url);
  return {
    description: `redis://${where.hostname}:${where.port || 6379} (ioredis)`,
    async get(key) {
      const value = await withTimeout(client.getBuffer(key), timeoutMs, "GET");
      return value === null ? null : new Uint8Array(value);
    },
    async setMany(entries) {
      if (entries.length === 0) return;
      const pipeline = client.pipeline();
      for (const { key, value, ttlSeconds } of entries) {
        pipeline.set(key, Buffer.from(value), "EX", ttlSeconds);
      }
      const results = await withTimeout(pipeline.exec(), timeoutMs, "SET (pipeline)");
      const failed = results?.find(([error]) => error !== null);
      if (failed) throw failed[0];
    },
    async ping() {
      await withTimeout(client.ping(), timeoutMs, "PING");
    },
    async close() {
      client.disconnect();
      await Promise.resolve();
    },
  };
}
