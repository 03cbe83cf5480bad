/**
 * The history where there is neither SQLite nor Redis (Deno Deploy without Redis, or
 * HISTORY=off): searches read the query log's in-memory ring, statistics come from counters
 * kept in memory, bounded: buckets beyond the statistics' retention go, and finished hours'
 * and days' tops are cut to the most counted.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import {
  type History,
  type HistoryPage,
  type HistorySearch,
  type HistoryStats,
  outcomeOf,
  type StatsRange,
} from "./history.ts";
import type { HistorySink } from "./history_batcher.ts";
import {
  MINUTES_KEPT_MS,
  type RangeCounters,
  rangeOf,
  splitKey,
  statsOf,
  Tally,
  type TopKind,
} from "./history_tally.ts";
import type { Outcome } from "./history.ts";
import type { QueryLog } from "./query_log.ts";
import { answerText } from "./recent_queries.ts";
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";

export interface MemoryHistoryOptions {
  statsRetentionMs: number;
  now?: () => number;
  /** Tops kept per finished hour or day and kind. */
  topsKept?: number;
}

export class MemoryHistory implements History, HistorySink {
  #log: Pick<QueryLog, "recent" | "answerOf">;
  #tally = new Tally();
  #options: MemoryHistoryOptions;
  #now: () => number;
  #folded = 0;

  constructor(log: Pick<QueryLog, "recent" | "answerOf">, options: MemoryHistoryOptions) {
    this.#log = log;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  write(entries: QueryLogEntry[]): void {
    for (const entry of entries) this.#tally.add(entry);
    this.#folded += entries.length;
    if (this.#folded >= 10_000) {
      this.#folded = 0;
      const now = this.#now();
      this.#tally.prune(
        now - this.#options.statsRetentionMs,
        now - MINUTES_KEPT_MS,
        this.#options.topsKept ?? 100,
        now,
      );
    }
  }

  search(search: HistorySearch): Promise<HistoryPage> {
    const page = searchEntries(
      this.#log.recent(),
      search,
      (entry) => answerText(this.#log.answerOf(entry)),
    );
    return Promise.resolve({ ...page, source: "memory" });
  }

  stats(range: StatsRange, client?: string): Promise<HistoryStats> {
    const now = this.#now();
    return Promise.resolve(
      statsOf(range, now, countersOf(this.#tally, range, now, client), "memory", client),
    );
  }
}

/** The counters of a range from a tally (memory, and Redis's read back as one). */
export function countersOf(
  tally: Tally,
  range: StatsRange,
  now: number,
  client?: string,
): RangeCounters {
  const { from, bucketMs, coarseMs, coarseFrom } = rangeOf(range, now);
  const who = client?.toLowerCase() ?? "";
  const counters: RangeCounters = { counts: [], profiles: [], tops: [], latency: [] };
  for (const [key, n] of tally.counts) {
    const [res, bucket, outcome, label] = splitKey(key, 3);
    if (Number(res) === bucketMs && Number(bucket) >= from && label === who) {
      counters.counts.push([Number(bucket), outcome as Outcome, n]);
    }
  }
  for (const [key, n] of tally.profiles) {
    const [res, bucket, profile] = splitKey(key, 2);
    if (Number(res) === bucketMs && Number(bucket) >= from) counters.profiles.push([profile, n]);
  }
  for (const [key, n] of tally.tops) {
    const [res, bucket, kind, name] = splitKey(key, 3);
    if (Number(res) === coarseMs && Number(bucket) >= coarseFrom) {
      counters.tops.push([kind as TopKind, name, n]);
    }
  }
  for (const [key, n] of tally.latency) {
    const [res, bucket, bin, upstream] = splitKey(key, 3);
    if (Number(res) === coarseMs && Number(bucket) >= coarseFrom) {
      counters.latency.push([upstream, Number(bin), n]);
    }
  }
  return counters;
}

/**
 * A search over entries held in memory (the ring, or entries read from the Redis stream),
 * newest first; the cursor is how many matching rows earlier pages gave.
 */
export function searchEntries(
  oldestFirst: QueryLogEntry[],
  search: HistorySearch,
  answerOf: (entry: QueryLogEntry) => string,
  instanceOf?: (entry: QueryLogEntry) => string | undefined,
): HistoryPage {
  const skip = search.cursor === undefined ? 0 : Number(search.cursor);
  const name = search.name?.toLowerCase();
  const client = search.client?.toLowerCase();
  const profile = search.profile?.toLowerCase();
  const rows: HistoryPage["rows"] = [];
  let matched = 0;
  for (let i = oldestFirst.length - 1; i >= 0; i--) {
    const entry = oldestFirst[i];
    if (name && !entry.name.toLowerCase().includes(name)) continue;
    if (
      client !== undefined && entry.client.toLowerCase() !== client &&
      entry.clientName?.toLowerCase() !== client
    ) continue;
    if (profile !== undefined && (entry.profile ?? DEFAULT_PROFILE).toLowerCase() !== profile) {
      continue;
    }
    if (search.type !== undefined && entry.type !== search.type) continue;
    if (search.rcode !== undefined && entry.rcode !== search.rcode) continue;
    const outcome = outcomeOf(entry);
    if (search.outcome !== undefined && outcome !== search.outcome) continue;
    if (search.from !== undefined && entry.time < search.from) continue;
    if (search.to !== undefined && entry.time >= search.to) continue;
    if (matched++ < skip) continue;
    if (rows.length === search.limit) return { rows, next: String(skip + rows.length) };
    const row: HistoryPage["rows"][number] = { entry, answer: answerOf(entry), outcome };
    const instance = instanceOf?.(entry);
    if (instance !== undefined) row.instance = instance;
    rows.push(row);
  }
  return { rows };
}
