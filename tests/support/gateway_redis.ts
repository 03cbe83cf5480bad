/**
 * The gateway's two ways to reach Redis, for e2e suites that must pass with each: REDIS_URL
 * (ioredis over redis://), and UPSTASH_REDIS_REST_URL/TOKEN through the Upstash-REST bridge.
 */
import type { RedisServer } from "./redis.ts";
import { startUpstashBridge, type UpstashBridge } from "./upstash_bridge.ts";

export const GATEWAY_REDIS_CLIENTS = ["redis://", "Upstash REST"] as const;
export type GatewayRedisClient = typeof GATEWAY_REDIS_CLIENTS[number];

/**
 * The settings that point a gateway at `redis` through `client`, and for "Upstash REST" the
 * bridge it goes through, which the test closes after.
 */
export function gatewayRedis(
  client: GatewayRedisClient,
  redis: RedisServer,
): { env: Record<string, string>; bridge?: UpstashBridge } {
  if (client === "redis://") return { env: { REDIS_URL: redis.url } };
  const bridge = startUpstashBridge(redis.url);
  return {
    env: { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token },
    bridge,
  };
}
