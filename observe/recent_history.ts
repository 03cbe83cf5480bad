/**
 * The history where no other store keeps one: the query log's in-memory ring (query_log.ts
 * `recent()`), searched and counted on demand. It holds what the ring holds (the newest
 * entries of this instance), so a search pages through at most that many and statistics cover
 * only those; the answers are shown for the newest few the log keeps bytes of. Searches are
 * entry_search.ts's `searchEntries`, and statistics history_tally.ts's, as every store's.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import type { History, HistoryPage, HistorySearch, HistoryStats, StatsRange } from "./history.ts";
import type { HistorySink } from "./history_batcher.ts";
import { searchEntries } from "./entry_search.ts";
import { countersOf, statsOf, Tally } from "./history_tally.ts";
import type { QueryLog } from "./query_log.ts";
import { answerText } from "./recent_queries.ts";

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

  /** Counted when asked, as the other stores count (history_tally.ts), from the ring. */
  stats(range: StatsRange, client?: string): Promise<HistoryStats> {
    const now = this.#now();
    const tally = new Tally();
    for (const entry of this.#log.recent()) tally.add(entry);
    return Promise.resolve(
      statsOf(range, now, countersOf(tally, range, now, client), "memory", client),
    );
  }
}
