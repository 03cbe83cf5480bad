/**
 * The history where no other store keeps one: the query log's in-memory ring (query_log.ts
 * `recent()`), searched and counted on demand. It holds what the ring holds (the newest
 * entries of this instance), so a search pages through at most that many and statistics cover
 * only those; the answers are shown for the newest few the log keeps bytes of. Searches are
 * memory_history.ts's `searchEntries`, as for every history held in memory.
 */
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import {
  type History,
  type HistoryPage,
  type HistorySearch,
  type HistoryStats,
  type Outcome,
  outcomeOf,
  STATS_RANGES,
  type StatsRange,
} from "./history.ts";
import type { HistorySink } from "./history_batcher.ts";
import { sameClient, searchEntries } from "./memory_history.ts";
import type { QueryLog } from "./query_log.ts";
import { answerText } from "./recent_queries.ts";

/** How many of each top list statistics name. */
const TOP = 10;

export class RecentHistory implements History, HistorySink {
  #log: Pick<QueryLog, "recent" | "answerOf">;
  #now: () => number;

  constructor(log: Pick<QueryLog, "recent" | "answerOf">, options: { now?: () => number } = {}) {
    this.#log = log;
    this.#now = options.now ?? Date.now;
  }

  /** Nothing to keep: the ring holds every entry, and statistics are counted when asked. */
  write(): void {}

  search(search: HistorySearch): Promise<HistoryPage> {
    const answerOf = (entry: QueryLogEntry) => answerText(this.#log.answerOf(entry));
    return Promise.resolve({
      ...searchEntries(this.#log.recent(), search, answerOf),
      source: "memory",
    });
  }

  stats(range: StatsRange, client?: string): Promise<HistoryStats> {
    const { ms, bucketMs } = STATS_RANGES[range];
    const now = this.#now();
    const from = Math.floor((now - ms) / bucketMs) * bucketMs + bucketMs;
    const buckets: HistoryStats["buckets"] = [];
    for (let time = from; time <= now; time += bucketMs) {
      buckets.push({ time, answered: 0, cached: 0, blocked: 0, failed: 0 });
    }
    const totals: Record<Outcome, number> = { answered: 0, cached: 0, blocked: 0, failed: 0 };
    const names = new Map<string, number>();
    const blocked = new Map<string, number>();
    const clients = new Map<string, number>();
    const profiles = new Map<string, number>();
    const upstreams = new Map<string, number[]>();
    const wanted = client?.toLowerCase();
    for (const entry of this.#log.recent()) {
      if (entry.time < from || entry.time > now) continue;
      if (wanted !== undefined && !sameClient(wanted, entry)) continue;
      const outcome = outcomeOf(entry);
      totals[outcome]++;
      buckets[Math.floor((entry.time - from) / bucketMs)][outcome]++;
      count(names, entry.name);
      if (outcome === "blocked") count(blocked, entry.name);
      const who = entry.clientName ?? entry.client;
      if (who !== "") count(clients, who);
      count(profiles, entry.profile ?? DEFAULT_PROFILE);
      if (entry.upstream !== undefined && entry.durationMs !== undefined) {
        let times = upstreams.get(entry.upstream);
        if (times === undefined) upstreams.set(entry.upstream, times = []);
        times.push(entry.durationMs);
      }
    }
    return Promise.resolve({
      range,
      ...(client === undefined ? {} : { client }),
      from,
      bucketMs,
      buckets,
      totals,
      topNames: top(names).map(([name, count]) => ({ name, count })),
      topBlocked: top(blocked).map(([name, count]) => ({ name, count })),
      topClients: top(clients).map(([client, count]) => ({ client, count })),
      profiles: top(profiles, Infinity).map(([profile, count]) => ({ profile, count })),
      upstreams: [...upstreams].map(([upstream, times]) => {
        times.sort((a, b) => a - b);
        return {
          upstream,
          count: times.length,
          p50: percentile(times, 0.5),
          p95: percentile(times, 0.95),
        };
      }),
      source: "memory",
    });
  }
}

function count(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function top(counts: Map<string, number>, n = TOP): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
