/**
 * Redis over Upstash's REST API through @upstash/redis: the path on Deno Deploy, where only
 * HTTP leaves the isolate. The REST API carries strings, so binary values are stored as
 * base64 text; telemetry is off and retries are ours (none: the timeout decides).
 */
import { Redis } from "@upstash/redis";
import { withTimeout } from "./errors.ts";
import type { RedisStore, StoreOptions } from "./redis_store.ts";

export function createUpstashStore(url: string, token: string, options: StoreOptions): RedisStore {
  const client = new Redis({
    url,
    token,
    enableTelemetry: false,
    automaticDeserialization: false,
    retry: false,
  });
  const { timeoutMs } = options;
  return {
    description: `${new URL(url).origin} (Upstash REST)`,
    async get(key) {
      const value = await withTimeout(client.get<string>(key), timeoutMs, "GET");
      return value === null || value === undefined ? null : Uint8Array.fromBase64(value);
    },
    async setMany(entries) {
      if (entries.length === 0) return;
      const pipeline = client.pipeline();
      for (const { key, value, ttlSeconds } of entries) {
        pipeline.set(key, value.toBase64(), { ex: ttlSeconds });
      }
      await withTimeout(pipeline.exec(), timeoutMs, "SET (pipeline)");
    },
    async ping() {
      await withTimeout(client.ping(), timeoutMs, "PING");
    },
    close() {
      return Promise.resolve();
    },
  };
}
