/**
 * Looking at Redis itself, on a connection of its own, to check what a store did to it
 * (PTTL, XLEN, INFO commandstats for "one round trip").
 */
import { Redis } from "ioredis";
import type { RedisServer } from "./redis.ts";

/** One command on Redis itself, on a connection of its own. */
export async function inspect(
  redis: RedisServer,
  name: string,
  ...args: string[]
): Promise<unknown> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

/** How many times Redis has run `command` since the last CONFIG RESETSTAT. */
export async function callsOf(redis: RedisServer, command: string): Promise<number> {
  const info = String(await inspect(redis, "INFO", "commandstats"));
  const line = info.match(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m"));
  return line ? Number(line[1]) : 0;
}
