/**
 * Both Redis clients against one real redis-server, for suites that must pass with each:
 * ioredis over redis://, and @upstash/redis through the Upstash-REST bridge.
 */
import type { RedisStore, StoreOptions } from "../../store/redis.ts";
import { createTcpRedisStore } from "../../store/tcp_redis.ts";
import { createUpstashStore } from "../../store/upstash.ts";
import type { RedisServer } from "./redis.ts";
import { startUpstashBridge } from "./upstash_bridge.ts";

export interface ConnectedStore {
  store: RedisStore;
  close(): Promise<void>;
}

export type Connect = (redis: RedisServer, options?: StoreOptions) => ConnectedStore;

export const REDIS_CLIENTS: [string, Connect][] = [
  ["redis:// (ioredis)", (redis, options = {}) => {
    const store = createTcpRedisStore(redis.url, options);
    return { store, close: () => store.close() };
  }],
  ["Upstash REST (@upstash/redis)", (redis, options = {}) => {
    const bridge = startUpstashBridge(redis.url);
    const store = createUpstashStore(bridge.url, bridge.token, options);
    return {
      store,
      close: async () => {
        await store.close();
        await bridge.close();
      },
    };
  }],
];
