/**
 * Every blocklist store a suite runs against: memory, and Redis through each client given on a
 * real redis-server of its own, stopped with the store; and the suite's tests, one per store.
 */
import type { Blocklist } from "../../blocklist/blocklist.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { RedisBlocklist } from "../../blocklist/redis_blocklist.ts";
import { integration } from "./binaries.ts";
import { startRedis } from "./redis.ts";
import { type Connect, REDIS_CLIENTS } from "./redis_clients.ts";

export type MakeStore = () => Promise<{ blocklist: Blocklist; close(): Promise<void> }>;

/** [label, make, needs redis-server] for memory and each of `clients` (every one by default). */
export function blocklistStores(
  decisionLifetimeMs: number,
  clients: [string, Connect][] = REDIS_CLIENTS,
): [string, MakeStore, boolean][] {
  return [
    [
      "memory",
      () => Promise.resolve({ blocklist: new MemoryBlocklist(), close: async () => {} }),
      false,
    ],
    ...clients.map(([label, connect]): [string, MakeStore, boolean] => [
      `Redis, ${label}`,
      async () => {
        const redis = await startRedis();
        const { store, close } = connect(redis);
        const blocklist = new RedisBlocklist(store, {
          prefix: "t:",
          decisionLifetimeMs,
          pollMs: 0,
        });
        return {
          blocklist,
          close: async () => {
            blocklist.close();
            await close();
            await redis.stop();
          },
        };
      },
      true,
    ]),
  ];
}

/**
 * A test for one store: `${label}: ${name}`, on a store made for it and closed after, skipped
 * without redis-server where it needs one.
 */
export function storeTest(
  [label, make, needsRedis]: [string, MakeStore, boolean],
): (name: string, fn: (blocklist: Blocklist) => Promise<void>) => void {
  return (name, fn) =>
    Deno.test({
      name: `${label}: ${name}`,
      ...(needsRedis ? integration(["redis-server"]) : {}),
      async fn() {
        const { blocklist, close } = await make();
        try {
          await fn(blocklist);
        } finally {
          await close();
        }
      },
    });
}
