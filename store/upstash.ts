/**
 * Redis over Upstash's REST API through @upstash/redis: the path on Deno Deploy, where only
 * HTTP leaves the isolate.
 *
 * Binary values are stored as base64 text. The REST API carries commands as JSON strings
 * (text, not bytes), and the client decodes every reply as UTF-8, so raw DNS answers would not
 * survive the trip; base64 costs a third more space and is exact. A value written by the
 * redis:// client (raw bytes) therefore reads as an error here, and the other way round: the
 * instances of one deployment share one kind of client.
 *
 * Client settings, each for a reason: no telemetry headers; no automatic JSON parsing of
 * values (it would turn "123" into a number); no retries and no auto-pipelining, so that one
 * call is one HTTP request, aborted at our timeout. At most `maxWaiting` requests are out at
 * once (store/call_limit.ts).
 */
import { Redis } from "@upstash/redis";
import { CallLimit } from "./call_limit.ts";
import { bounded } from "./errors.ts";
import {
  counterCommands,
  countInChunks,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_TIMEOUT_MS,
  type RedisStore,
  scoredPairs,
  type StoreOptions,
  streamEntry,
} from "./redis.ts";

/** A hash as HGETALL gave it: flat (field, value, ...) without automatic deserialization. */
function hashOf(reply: unknown): Record<string, string> {
  const hash: Record<string, string> = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  } else if (reply !== null && typeof reply === "object") {
    for (const [field, value] of Object.entries(reply)) hash[field] = String(value);
  }
  return hash;
}

export function createUpstashStore(
  url: string,
  token: string,
  options: StoreOptions = {},
): RedisStore {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const client = new Redis({
    url,
    token,
    enableTelemetry: false,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    retry: false,
    // A fresh signal per request: the fetch is cancelled when we give up on it.
    signal: () => AbortSignal.timeout(timeoutMs),
  });

  const limit = new CallLimit(options.maxWaiting);

  /** One HTTP request, bounded; the client's "..., command was: [...]" tail is dropped. */
  const call = <T>(operation: string, work: () => Promise<T>): Promise<T> =>
    bounded(operation, timeoutMs, () =>
      limit.run(operation, async () => {
        try {
          return await work();
        } catch (error) {
          if (error instanceof Error && error.message.includes(", command was: ")) {
            throw new Error(error.message.split(", command was: ", 1)[0], { cause: error });
          }
          throw error;
        }
      }));

  return {
    description: `${new URL(url).origin} (Upstash REST)`,

    get: (key) => call("GET", async () => bytes(await client.get<string>(key))),
    mget: (keys) =>
      call(
        "MGET",
        async () => keys.length === 0 ? [] : (await client.mget<string[]>(keys)).map(bytes),
      ),
    set: (key, value, ttlSeconds) =>
      call("SET", async () => {
        await client.set(key, value.toBase64(), { ex: ttlSeconds });
      }),
    setMany: (entries) =>
      call("SET (pipeline)", async () => {
        if (entries.length === 0) return;
        const pipeline = client.pipeline();
        for (const { key, value, ttlSeconds } of entries) {
          pipeline.set(key, value.toBase64(), { ex: ttlSeconds });
        }
        await pipeline.exec();
      }),
    del: (keys) => call("DEL", async () => keys.length === 0 ? 0 : await client.del(...keys)),
    exists: (key) => call("EXISTS", async () => await client.exists(key) === 1),
    deleteMatching: async (pattern) => {
      let cursor = "0";
      let deleted = 0;
      do {
        const [next, keys] = await call(
          "SCAN",
          () => client.scan(cursor, { match: pattern, count: 1000 }),
        );
        if (keys.length > 0) deleted += await call("DEL", () => client.del(...keys));
        cursor = String(next);
      } while (cursor !== "0");
      return deleted;
    },

    getString: (key) => call("GET", async () => (await client.get<string>(key)) ?? null),
    setString: (key, value, ttlSeconds) =>
      call("SET", async () => {
        if (ttlSeconds === undefined) await client.set(key, value);
        else await client.set(key, value, { ex: ttlSeconds });
      }),
    setIfAbsent: (key, value, ttlSeconds) =>
      call(
        "SET (NX)",
        async () => await client.set(key, value, { ex: ttlSeconds, nx: true }) === "OK",
      ),
    incr: (key) => call("INCR", () => client.incr(key)),

    smismember: (key, members) =>
      call("SMISMEMBER", async () => {
        if (members.length === 0) return [];
        return (await client.smismember(key, members)).map((found) => Number(found) === 1);
      }),
    smismemberMany: (keys, members) =>
      call("SMISMEMBER (pipeline)", async () => {
        if (keys.length === 0 || members.length === 0) return keys.map(() => []);
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.smismember(key, members);
        const results = await pipeline.exec<number[][]>();
        return results.map((found) => found.map((one) => Number(one) === 1));
      }),
    sadd: (key, members) =>
      countInChunks(
        members,
        chunkSize,
        ([first, ...rest]) => call("SADD", () => client.sadd(key, first, ...rest)),
      ),
    srem: (key, members) =>
      countInChunks(members, chunkSize, (chunk) => call("SREM", () => client.srem(key, ...chunk))),
    scard: (key) => call("SCARD", () => client.scard(key)),
    smembers: (key) => call("SMEMBERS", () => client.smembers(key)),
    rename: (from, to) =>
      call("RENAME", async () => {
        await client.rename(from, to);
      }),

    xadd: (stream, fields, maxLen) =>
      call("XADD", () =>
        client.xadd(stream, "*", fields, {
          trim: { type: "MAXLEN", comparison: "~", threshold: maxLen },
        })),
    xaddMany: (stream, entries, maxLen) =>
      call("XADD (pipeline)", async () => {
        if (entries.length === 0) return;
        const pipeline = client.pipeline();
        const trim = { type: "MAXLEN", comparison: "~", threshold: maxLen } as const;
        for (const fields of entries) pipeline.xadd(stream, "*", fields, { trim });
        await pipeline.exec();
      }),
    xrevrange: (stream, count) =>
      call("XREVRANGE", async () => {
        // Without automatic deserialization the reply keeps Redis's shape: [id, [field, value...]].
        const raw = await client.xrevrange(stream, "+", "-", count) as unknown as [
          string,
          string[],
        ][];
        return raw.map(([id, pairs]) => streamEntry(id, pairs));
      }),

    addCounters: (updates, keepTop) =>
      call("HINCRBY (pipeline)", async () => {
        if (updates.length === 0) return;
        const pipeline = client.pipeline();
        for (const [name, key, a, b] of counterCommands(updates, keepTop)) {
          const k = String(key);
          if (name === "hincrby") pipeline.hincrby(k, String(a), Number(b));
          else if (name === "zincrby") pipeline.zincrby(k, Number(a), String(b));
          else if (name === "zremrangebyrank") pipeline.zremrangebyrank(k, Number(a), Number(b));
          else pipeline.expire(k, Number(a));
        }
        await pipeline.exec();
      }),
    readCounters: (hashes, zsets, top) =>
      call("HGETALL (pipeline)", async () => {
        if (hashes.length + zsets.length === 0) return { hashes: [], tops: [] };
        const pipeline = client.pipeline();
        for (const key of hashes) pipeline.hgetall(key);
        for (const key of zsets) pipeline.zrange(key, 0, top - 1, { rev: true, withScores: true });
        const values = await pipeline.exec<unknown[]>();
        return {
          hashes: values.slice(0, hashes.length).map(hashOf),
          tops: values.slice(hashes.length).map((flat) => scoredPairs(flat as (string | number)[])),
        };
      }),
    ping: () =>
      call("PING", async () => {
        await client.ping();
      }),
    callCounts: () => limit.counts(),
    close: () => Promise.resolve(),
  };
}

/** A stored base64 text back to bytes (a value that is not base64 rejects the call). */
function bytes(value: string | null | undefined): Uint8Array | null {
  return value === null || value === undefined ? null : Uint8Array.fromBase64(value);
}
