/**
 * What the gateway asks of Redis, whichever client speaks to it (DESIGN §6): binary values with
 * an expiry for the shared answer cache, sets for the blocklist (one SMISMEMBER per query,
 * bulk loads in chunks, an atomic RENAME to swap a freshly loaded list in), counters and
 * version keys for admin edits, and a capped stream for the query log.
 *
 * Every call rejects only with StoreError, within the store's timeout: a Redis that hangs or
 * is gone must never hang or crash a DNS answer. Bulk calls (`sadd`, `srem`) are split into
 * chunks, each a round trip with its own timeout, so a long list is bounded per chunk. At most
 * `maxWaiting` calls wait on Redis at once; one more is refused at once (store/call_limit.ts).
 */
import type { CallCounts } from "./call_limit.ts";

export interface StoreEntry {
  key: string;
  value: Uint8Array;
  ttlSeconds: number;
}

/** One entry of a stream, as written by `xadd`. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** One counter to add to (store/redis.ts `addCounters`). */
export interface CounterUpdate {
  key: string;
  /** A hash field (HINCRBY) or a sorted-set member (ZINCRBY). */
  kind: "hash" | "zset";
  field: string;
  by: number;
  /** The key expires this long after its last update. */
  ttlSeconds: number;
}

/** Counters read back: each hash whole, the top members of each sorted set with their scores. */
export interface CountersRead {
  hashes: Record<string, string>[];
  tops: [string, number][][];
}

export interface RedisStore {
  /** Which client and where, for the startup line (never the token or password). */
  readonly description: string;

  /** A binary value, or null when the key is missing or expired. */
  get(key: string): Promise<Uint8Array | null>;
  /** Several binary values in one round trip, in the order of `keys`. */
  mget(keys: string[]): Promise<(Uint8Array | null)[]>;
  /** Stores a binary value that expires after `ttlSeconds` (a positive integer). */
  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
  /** Several `set`s in one round trip (a pipeline). */
  setMany(entries: StoreEntry[]): Promise<void>;
  /** Deletes keys; resolves to how many existed. */
  del(keys: string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  /**
   * Deletes every key matching a glob `pattern` (SCAN, then DEL in batches): for flushing the
   * shared cache. Each round trip has its own timeout; resolves to how many were deleted.
   */
  deleteMatching(pattern: string): Promise<number>;

  /** A text value (a version key, a setting), or null. */
  getString(key: string): Promise<string | null>;
  /** Stores a text value, without expiry unless `ttlSeconds` is given. */
  setString(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /**
   * Sets a text value that expires, only when the key is missing (SET NX EX): a lock that
   * frees itself. Resolves to whether this call set it.
   */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Adds one to an integer key (missing counts as 0); resolves to the new value. */
  incr(key: string): Promise<number>;

  /** For each member, whether the set holds it: one round trip whatever the count. */
  smismember(key: string, members: string[]): Promise<boolean[]>;
  /**
   * `smismember` of the same members against several sets, in one round trip (a pipeline):
   * one array of booleans per key, in the order of `keys`.
   */
  smismemberMany(keys: string[], members: string[]): Promise<boolean[][]>;
  /** Adds members in chunks; resolves to how many were new. */
  sadd(key: string, members: string[]): Promise<number>;
  /** Removes members in chunks; resolves to how many were there. */
  srem(key: string, members: string[]): Promise<number>;
  scard(key: string): Promise<number>;
  /** Every member of a set (small sets only: admin edits), in no order. */
  smembers(key: string): Promise<string[]>;
  /** Renames `from` to `to`, replacing `to` atomically; rejects when `from` is missing. */
  rename(from: string, to: string): Promise<void>;

  /** Appends an entry, trimming the stream to about `maxLen` entries; resolves to its id. */
  xadd(stream: string, fields: Record<string, string>, maxLen: number): Promise<string>;
  /** Several `xadd`s in one round trip (a pipeline), in order. */
  xaddMany(stream: string, entries: Record<string, string>[], maxLen: number): Promise<void>;
  /** The newest `count` entries, newest first. */
  xrevrange(stream: string, count: number): Promise<StreamEntry[]>;

  /**
   * Adds to counters in one round trip (a pipeline): each key expires after its `ttlSeconds`,
   * and a sorted set keeps its `keepTop` highest members.
   */
  addCounters(updates: CounterUpdate[], keepTop: number): Promise<void>;
  /** Reads `hashes` whole and the `top` highest members of each of `zsets`, in one round trip. */
  readCounters(hashes: string[], zsets: string[], top: number): Promise<CountersRead>;

  ping(): Promise<void>;
  /** How many calls wait on Redis now, and how many were refused for want of room. */
  callCounts(): CallCounts;
  /** Releases the connection; the store is not used afterwards. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Longest wait for one round trip, milliseconds (250 by default). */
  timeoutMs?: number;
  /** Members per round trip in `sadd` and `srem` (1000 by default). */
  chunkSize?: number;
  /** Calls waiting on Redis at once, beyond which a call is refused (1000 by default). */
  maxWaiting?: number;
}

export const DEFAULT_TIMEOUT_MS = 250;
export const DEFAULT_CHUNK_SIZE = 1000;

/** `items` in slices of at most `size`, for bulk calls. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * A bulk command (`SADD`, `SREM`) as round trips of at most `size` members each, one after the
 * other, so no command is longer than a chunk and each has its own timeout; resolves to the sum
 * of what the round trips counted, and a chunk that fails stops the rest from being sent.
 */
export async function countInChunks<T>(
  members: T[],
  size: number,
  send: (chunk: T[]) => Promise<number>,
): Promise<number> {
  let counted = 0;
  for (const chunk of chunks(members, size)) counted += await send(chunk);
  return counted;
}

/**
 * The commands of `addCounters` (lower case, as ioredis takes them), in order: each increment, then per key its cap (a sorted set
 * keeps its `keepTop` highest) and its expiry (the longest asked for it).
 */
export function counterCommands(updates: CounterUpdate[], keepTop: number): (string | number)[][] {
  const commands: (string | number)[][] = [];
  const keys = new Map<string, CounterUpdate>();
  for (const update of updates) {
    const { key, kind, field, by } = update;
    commands.push(kind === "hash" ? ["hincrby", key, field, by] : ["zincrby", key, by, field]);
    const known = keys.get(key);
    if (known === undefined || known.ttlSeconds < update.ttlSeconds) keys.set(key, update);
  }
  for (const [key, { kind, ttlSeconds }] of keys) {
    if (kind === "zset") commands.push(["zremrangebyrank", key, 0, -(keepTop + 1)]);
    commands.push(["expire", key, ttlSeconds]);
  }
  return commands;
}

/** [member, score] pairs from a flat WITHSCORES reply. */
export function scoredPairs(flat: (string | number)[]): [string, number][] {
  const pairs: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), Number(flat[i + 1])]);
  return pairs;
}

/** A stream entry from Redis's reply shape: an id and a flat list of field, value, ... */
export function streamEntry(id: string, pairs: string[]): StreamEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) fields[pairs[i]] = pairs[i + 1];
  return { id, fields };
}
