/**
 * One behaviour suite for both Redis clients, against a real redis-server: ioredis over
 * redis://, and @upstash/redis over the Upstash-REST bridge. Binary values, expiry, batches,
 * and Redis hanging, going away and coming back: calls fail with StoreError within the
 * timeout and work again without recreating the store.
 */
import assert from "node:assert/strict";
import { StoreError } from "../../store/errors.ts";
import { createIoredisStore } from "../../store/ioredis_store.ts";
import type { RedisStore } from "../../store/redis_store.ts";
import { createUpstashStore } from "../../store/upstash_store.ts";
import { integration } from "../support/binaries.ts";
import { type RedisServer, startRedis } from "../support/redis.ts";
import { startUpstashBridge } from "../support/upstash_bridge.ts";

const TIMEOUT_MS = 250;

interface Client {
  store: RedisStore;
  close(): Promise<void>;
}

const CLIENTS: [string, (redis: RedisServer) => Client][] = [
  ["ioredis (redis://)", (redis) => {
    const store = createIoredisStore(redis.url, { timeoutMs: TIMEOUT_MS });
    return { store, close: () => store.close() };
  }],
  ["@upstash/redis (REST)", (redis) => {
    const bridge = startUpstashBridge(redis.url);
    const store = createUpstashStore(bridge.url, bridge.token, { timeoutMs: TIMEOUT_MS });
    return {
      store,
      close: async () => {
        await store.close();
        await bridge.close();
      },
    };
  }],
];

async function eventually(check: () => Promise<void>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

for (const [label, connect] of CLIENTS) {
  Deno.test({
    name: `${label}: binary values, batches and expiry`,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      const { store, close } = connect(redis);
      try {
        await eventually(() => store.ping());
        const every = Uint8Array.from({ length: 256 }, (_, i) => i);
        const entries = Array.from({ length: 100 }, (_, i) => ({
          key: `k${i}`,
          value: every.map((b) => b ^ i),
          ttlSeconds: i === 0 ? 1 : 60,
        }));
        await store.setMany(entries);
        assert.deepEqual(await store.get("k7"), every.map((b) => b ^ 7));
        assert.deepEqual(await store.get("k0"), every);
        assert.equal(await store.get("missing"), null);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        assert.equal(await store.get("k0"), null, "expired after its TTL");
        assert.ok(await store.get("k1"));
      } finally {
        await close();
        await redis.stop();
      }
    },
  });

  Deno.test({
    name: `${label}: a hanging or stopped Redis fails calls within the timeout, then recovers`,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      const { store, close } = connect(redis);
      try {
        await eventually(() => store.ping());
        await store.setMany([{ key: "k", value: new Uint8Array([1, 2, 3]), ttlSeconds: 60 }]);
        for (
          const [what, breakIt, mendIt] of [
            ["hanging (SIGSTOP)", () => redis.pause(), () => redis.resume()],
            ["stopped", () => redis.stop(), () => redis.start()],
          ] as const
        ) {
          await breakIt();
          const started = performance.now();
          await assert.rejects(store.get("k"), (error) => {
            assert.ok(error instanceof StoreError, `${what}: ${error}`);
            assert.match(error.message, /^redis GET (timed out after 250 ms|failed: )/);
            return true;
          });
          assert.ok(performance.now() - started < TIMEOUT_MS + 200, `${what}: gave up in time`);
          await mendIt();
          await eventually(async () => {
            await store.setMany([{ key: "k", value: new Uint8Array([4]), ttlSeconds: 60 }]);
            assert.deepEqual(await store.get("k"), new Uint8Array([4]));
          });
        }
      } finally {
        redis.resume();
        await close();
        await redis.stop();
      }
    },
  });
}

Deno.test({
  name: "the Upstash bridge refuses a wrong token, and the client reports it as StoreError",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const bridge = startUpstashBridge(redis.url);
    const store = createUpstashStore(bridge.url, "wrong-token", { timeoutMs: TIMEOUT_MS });
    try {
      await assert.rejects(store.get("k"), StoreError);
    } finally {
      await bridge.close();
      await redis.stop();
    }
  },
});
