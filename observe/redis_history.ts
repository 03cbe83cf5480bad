/**
 * The history shared through Redis, so every instance and every edge isolate adds to and
 * shows the same totals: each batch is folded into a tally (history_tally.ts) and sent as one
 * pipeline of counters in time-bucketed hashes and sorted sets that expire with the
 * statistics' retention. Searches read the shared log stream (observe/log_stream.ts): the
 * newest entries of every instance. A Redis that is slow or down only loses a batch (counted),
 * never delays an answer; a search or statistics it cannot answer is an error saying so.
 */
import { parseTypeName } from "../dns/mod.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import type { CounterUpdate, RedisStore } from "../store/redis.ts";
import type {
  History,
  HistoryPage,
  HistorySearch,
  HistoryStats,
  Outcome,
  StatsRange,
} from "./history.ts";
import { packBatch, unpackBatch } from "./history_batch.ts";
import type { HistorySink } from "./history_batcher.ts";
import {
  MINUTE,
  MINUTES_KEPT_MS,
  type RangeCounters,
  rangeOf,
  splitKey,
  statsOf,
  Tally,
  tallyBatch,
  type TopKind,
} from "./history_tally.ts";
import type { QueryLogStream } from "./log_stream.ts";
import { searchEntries } from "./entry_search.ts";

export interface RedisHistoryOptions {
  /** Keys start with this (REDIS_PREFIX and "history:"). */
  prefix: string;
  statsRetentionMs: number;
  /** The shared log stream searches read; absent (LOG_STREAM_MAX=0): no search. */
  stream?: Pick<QueryLogStream, "recent">;
  /** Stream entries a search looks through, newest first. */
  searchDepth?: number;
  /** Members a sorted set of tops keeps per bucket. */
  topsKept?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class RedisHistory implements History, HistorySink {
  /** Entries of batches Redis did not take. */
  dropped = 0;
  #store: Pick<RedisStore, "addCounters" | "readCounters">;
  #options: RedisHistoryOptions;
  #now: () => number;
  #tally = new Tally();
  #sending?: Promise<void>;

  constructor(
    store: Pick<RedisStore, "addCounters" | "readCounters">,
    options: RedisHistoryOptions,
  ) {
    this.#store = store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Folds a batch in and sends it, unless a send is under way: then it goes with the next.
   * Runs on the answering thread: the batch is counted as a whole (`tallyBatch`), not entry by
   * entry.
   */
  write(entries: QueryLogEntry[]): void {
    this.#tally.merge(tallyBatch(unpackBatch(packBatch(entries, []))));
    if (this.#sending === undefined) void this.flush();
  }

  pending(): number {
    return this.#tally.size;
  }

  /** Sends what is folded; resolves when Redis has it (or failed). */
  async flush(): Promise<void> {
    await this.#sending;
    if (this.#tally.size === 0) return;
    const tally = this.#tally;
    this.#tally = new Tally();
    this.#sending = this.#store.addCounters(this.#updates(tally), this.#options.topsKept ?? 1000)
      .catch((error) => {
        this.dropped += tally.size;
        this.#options.onError?.(error);
      });
    await this.#sending;
    this.#sending = undefined;
  }

  #updates(tally: Tally): CounterUpdate[] {
    const prefix = this.#options.prefix;
    const ttl = (res: number) =>
      Math.ceil(((res === MINUTE ? MINUTES_KEPT_MS : this.#options.statsRetentionMs) + res) / 1000);
    const updates: CounterUpdate[] = [];
    // Counts, profiles and upstream times: a hash per bucket, the rest of the key its field.
    const hashes: [string, Map<string, number>][] = [
      ["c", tally.counts],
      ["p", tally.profiles],
      ["l", tally.latency],
    ];
    for (const [letter, table] of hashes) {
      for (const [key, by] of table) {
        const [res, bucket, field] = splitKey(key, 2);
        const ttlSeconds = ttl(Number(res));
        updates.push({
          key: `${prefix}${letter}:${res}:${bucket}`,
          kind: "hash",
          field,
          by,
          ttlSeconds,
        });
      }
    }
    // Tops: a sorted set per kind and bucket.
    for (const [key, by] of tally.tops) {
      const [res, bucket, kind, field] = splitKey(key, 3);
      const ttlSeconds = ttl(Number(res));
      updates.push({
        key: `${prefix}t:${kind}:${res}:${bucket}`,
        kind: "zset",
        field,
        by,
        ttlSeconds,
      });
    }
    return updates;
  }

  async search(search: HistorySearch): Promise<HistoryPage> {
    const stream = this.#options.stream;
    if (stream === undefined) return { rows: [], source: "redis" };
    const streamed = await stream.recent(this.#options.searchDepth ?? 10_000);
    const instances = new Map<QueryLogEntry, string>();
    const entries: QueryLogEntry[] = [];
    for (let i = streamed.length - 1; i >= 0; i--) {
      const entry = entryOf(streamed[i].entry);
      if (entry === undefined) continue;
      instances.set(entry, streamed[i].instance);
      entries.push(entry);
    }
    const page = searchEntries(entries, search, () => "", (entry) => instances.get(entry));
    return { ...page, source: "redis" };
  }

  async stats(range: StatsRange, client?: string): Promise<HistoryStats> {
    const now = this.#now();
    const { from, bucketMs, count, coarseMs, coarseFrom } = rangeOf(range, now);
    const prefix = this.#options.prefix;
    const buckets = Array.from({ length: count }, (_, i) => from + i * bucketMs);
    const coarse: number[] = [];
    for (let time = coarseFrom; time <= now; time += coarseMs) coarse.push(time);
    const kinds: TopKind[] = ["n", "b", "c"];
    const hashes = [
      ...buckets.map((time) => `${prefix}c:${bucketMs}:${time}`),
      ...buckets.map((time) => `${prefix}p:${bucketMs}:${time}`),
      ...coarse.map((time) => `${prefix}l:${coarseMs}:${time}`),
    ];
    const zsets = kinds.flatMap((kind) =>
      coarse.map((time) => `${prefix}t:${kind}:${coarseMs}:${time}`)
    );
    const read = await this.#store.readCounters(hashes, zsets, 100);
    const who = client?.toLowerCase() ?? "";
    const counters: RangeCounters = { counts: [], profiles: [], tops: [], latency: [] };
    buckets.forEach((time, i) => {
      for (const [field, n] of Object.entries(read.hashes[i] ?? {})) {
        const [outcome, label] = splitKey(field, 1);
        if (label === who) counters.counts.push([time, outcome as Outcome, Number(n)]);
      }
      for (const [profile, n] of Object.entries(read.hashes[count + i] ?? {})) {
        counters.profiles.push([profile, Number(n)]);
      }
    });
    coarse.forEach((_, i) => {
      for (const [field, n] of Object.entries(read.hashes[2 * count + i] ?? {})) {
        const [bin, upstream] = splitKey(field, 1);
        counters.latency.push([upstream, Number(bin), Number(n)]);
      }
    });
    kinds.forEach((kind, k) => {
      for (let i = 0; i < coarse.length; i++) {
        for (const [member, n] of read.tops[k * coarse.length + i] ?? []) {
          counters.tops.push([kind, member, n]);
        }
      }
    });
    return statsOf(range, now, counters, "redis", client);
  }
}

/** A log entry from its JSON line as the stream keeps it (time in ISO form, type by name). */
function entryOf(line: Record<string, unknown>): QueryLogEntry | undefined {
  const time = Date.parse(String(line.time));
  const type = parseTypeName(String(line.type));
  if (!Number.isFinite(time) || type === undefined || typeof line.name !== "string") {
    return undefined;
  }
  return { ...line, time, type } as unknown as QueryLogEntry;
}
