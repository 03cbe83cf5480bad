/**
 * Redis over its own protocol (`redis://` / `rediss://`, self-hosted) through ioredis, which
 * runs under Deno's Node compatibility. Values travel as Buffers, so DNS answers stay raw
 * bytes in Redis.
 *
 * Failure handling, so that Redis trouble only ever shows as a StoreError:
 * - no offline queue: a call made while the connection is being made waits for it (within
 *   the timeout, and is never sent once its caller gave up), and one made while Redis is
 *   unreachable fails at the next connection error instead of piling up;
 * - the calls waiting for the connection share the client's ready and error listeners (none
 *   added per call), and at most `maxWaiting` calls wait at once, sent or not
 *   (store/call_limit.ts);
 * - the client's error events are consumed (they are reported through failing calls), so a
 *   Redis going away is never an unhandled error;
 * - it reconnects by itself, with a backoff capped at one second;
 * - a call that times out drops the connection (a Redis that stopped answering keeps every
 *   later command waiting behind it) and unanswered commands are not resent on reconnect.
 */
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
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

const NOT_CONNECTED = /enableOfflineQueue|Connection is closed|MaxRetriesPerRequest/;

export function createTcpRedisStore(url: string, options: StoreOptions = {}): RedisStore {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  });
  const limit = new CallLimit(options.maxWaiting);
  // Calls waiting for the connection: each told when it is ready or fails, or dropped when
  // its caller gives up. The same two listeners on the client, however many calls wait.
  const waitingForReady = new Set<(error?: unknown) => void>();
  const tellWaiting = (error?: unknown) => {
    const waiting = [...waitingForReady];
    waitingForReady.clear();
    for (const settle of waiting) settle(error);
  };
  // Errors are reported through failing calls (StoreError); reconnecting is the client's job.
  client.on("error", (error) => tellWaiting(error));
  // Set between dropping a connection and the next one being ready: drop it once.
  let dropping = false;
  client.on("ready", () => {
    dropping = false;
    tellWaiting();
  });
  const target = new URL(url);
  const where = `${target.hostname}:${target.port || 6379}`;

  /**
   * Resolves once the client is connected: at once when it is, when the connection being
   * made is ready, or rejects at the next connection error (Redis down fails fast) or when
   * `signal` says the caller gave up.
   */
  const connected = (signal: AbortSignal): Promise<void> => {
    if (client.status === "ready") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (error?: unknown) => {
        waitingForReady.delete(settle);
        signal.removeEventListener("abort", abandon);
        if (error === undefined) resolve();
        else reject(error);
      };
      const abandon = () => settle(signal.reason);
      waitingForReady.add(settle);
      signal.addEventListener("abort", abandon, { once: true });
    });
  };

  /** One round trip, bounded; a timeout drops a connection that stopped answering. */
  const call = <T>(operation: string, work: () => Promise<T>): Promise<T> =>
    bounded(operation, timeoutMs, (signal) =>
      limit.run(operation, async () => {
        try {
          await connected(signal);
          return await work();
        } catch (error) {
          if (error instanceof Error && NOT_CONNECTED.test(error.message)) {
            throw new Error(`not connected to ${where}`, { cause: error });
          }
          throw error;
        }
      }), () => {
      if (client.status !== "ready" || dropping) return;
      dropping = true;
      client.disconnect(true);
    });

  return {
    description: `${target.protocol}//${where} (ioredis)`,

    get: (key) => call("GET", async () => bytes(await client.getBuffer(key))),
    mget: (keys) =>
      call("MGET", async () => keys.length === 0 ? [] : (await client.mgetBuffer(keys)).map(bytes)),
    set: (key, value, ttlSeconds) =>
      call("SET", async () => {
        await client.set(key, buffer(value), "EX", ttlSeconds);
      }),
    setMany: (entries) =>
      call("SET (pipeline)", async () => {
        if (entries.length === 0) return;
        const pipeline = client.pipeline();
        for (const { key, value, ttlSeconds } of entries) {
          pipeline.set(key, buffer(value), "EX", ttlSeconds);
        }
        const failed = (await pipeline.exec())?.find(([error]) => error !== null);
        if (failed) throw failed[0];
      }),
    del: (keys) => call("DEL", async () => keys.length === 0 ? 0 : await client.del(...keys)),
    exists: (key) => call("EXISTS", async () => await client.exists(key) === 1),
    deleteMatching: async (pattern) => {
      let cursor = "0";
      let deleted = 0;
      do {
        const [next, keys] = await call(
          "SCAN",
          () => client.scan(cursor, "MATCH", pattern, "COUNT", 1000),
        );
        if (keys.length > 0) deleted += await call("DEL", () => client.del(...keys));
        cursor = next;
      } while (cursor !== "0");
      return deleted;
    },

    getString: (key) => call("GET", () => client.get(key)),
    setString: (key, value, ttlSeconds) =>
      call("SET", async () => {
        if (ttlSeconds === undefined) await client.set(key, value);
        else await client.set(key, value, "EX", ttlSeconds);
      }),
    setIfAbsent: (key, value, ttlSeconds) =>
      call("SET (NX)", async () => await client.set(key, value, "EX", ttlSeconds, "NX") === "OK"),
    incr: (key) => call("INCR", () => client.incr(key)),

    smismember: (key, members) =>
      call("SMISMEMBER", async () => {
        if (members.length === 0) return [];
        return (await client.smismember(key, ...members)).map((found) => found === 1);
      }),
    smismemberMany: (keys, members) =>
      call("SMISMEMBER (pipeline)", async () => {
        if (keys.length === 0 || members.length === 0) return keys.map(() => []);
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.smismember(key, ...members);
        const results = (await pipeline.exec()) ?? [];
        return results.map(([error, found]) => {
          if (error) throw error;
          return (found as number[]).map((one) => one === 1);
        });
      }),
    sadd: (key, members) =>
      countInChunks(members, chunkSize, (chunk) => call("SADD", () => client.sadd(key, ...chunk))),
    srem: (key, members) =>
      countInChunks(members, chunkSize, (chunk) => call("SREM", () => client.srem(key, ...chunk))),
    scard: (key) => call("SCARD", () => client.scard(key)),
    smembers: (key) => call("SMEMBERS", () => client.smembers(key)),
    rename: (from, to) =>
      call("RENAME", async () => {
        await client.rename(from, to);
      }),

    xadd: (stream, fields, maxLen) =>
      call("XADD", async () => {
        const pairs = Object.entries(fields).flat();
        const id = await client.xadd(stream, "MAXLEN", "~", maxLen, "*", ...pairs);
        if (id === null) throw new Error("no id returned");
        return id;
      }),
    xaddMany: (stream, entries, maxLen) =>
      call("XADD (pipeline)", async () => {
        if (entries.length === 0) return;
        const pipeline = client.pipeline();
        for (const fields of entries) {
          pipeline.xadd(stream, "MAXLEN", "~", maxLen, "*", ...Object.entries(fields).flat());
        }
        const failed = (await pipeline.exec())?.find(([error]) => error !== null);
        if (failed) throw failed[0];
      }),
    xrevrange: (stream, count) =>
      call("XREVRANGE", async () => {
        const entries = await client.xrevrange(stream, "+", "-", "COUNT", count);
        return entries.map(([id, pairs]) => streamEntry(id, pairs));
      }),

    addCounters: (updates, keepTop) =>
      call("HINCRBY (pipeline)", async () => {
        if (updates.length === 0) return;
        const pipeline = client.pipeline(counterCommands(updates, keepTop));
        const failed = (await pipeline.exec())?.find(([error]) => error !== null);
        if (failed) throw failed[0];
      }),
    readCounters: (hashes, zsets, top) =>
      call("HGETALL (pipeline)", async () => {
        if (hashes.length + zsets.length === 0) return { hashes: [], tops: [] };
        const pipeline = client.pipeline();
        for (const key of hashes) pipeline.hgetall(key);
        for (const key of zsets) pipeline.zrevrange(key, 0, top - 1, "WITHSCORES");
        const results = (await pipeline.exec()) ?? [];
        const values = results.map(([error, value]) => {
          if (error) throw error;
          return value;
        });
        return {
          hashes: values.slice(0, hashes.length) as Record<string, string>[],
          tops: (values.slice(hashes.length) as string[][]).map(scoredPairs),
        };
      }),
    ping: () =>
      call("PING", async () => {
        await client.ping();
      }),
    callCounts: () => limit.counts(),
    close: () => {
      client.disconnect();
      return Promise.resolve();
    },
  };
}

function buffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A copy, as a plain Uint8Array (a Buffer compares unequal to one and may share memory). */
function bytes(value: Buffer | null): Uint8Array | null {
  return value === null ? null : new Uint8Array(value);
}
