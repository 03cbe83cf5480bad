/**
 * Which store keeps the history in this deployment, and the one batcher that feeds them:
 * SQLite in DATA_DIR on a VM (searches and, without Redis, statistics); with Redis, the
 * statistics of every instance in Redis, and searches of the shared stream where there is no
 * SQLite (Deno Deploy); with neither, the in-memory ring and counters.
 */
import type { History } from "./history.ts";
import type { HistoryBatcher, HistorySink } from "./history_batcher.ts";
import type { HistoryWriter } from "./history_db.ts";
import { RecentHistory } from "./recent_history.ts";
import type { QueryLog } from "./query_log.ts";

export interface OpenHistory {
  history: History;
  batcher: HistoryBatcher;
  /** The startup line: where history is kept, or why it is off. */
  line: Promise<string>;
  /** Entries not stored: dropped for want of room, or in a batch the database failed. */
  dropped(): number;
  /** Writes out what waits and closes the stores. */
  close(): Promise<void>;
}

/** The history's settings (config.ts `HistoryConfig`). */
export interface HistorySettings {
  /** Stored in SQLite; off: memory or Redis only. */
  on: boolean;
  /** The setting and what decided it, for the startup line ("HISTORY=off", "HISTORY=auto: ..."). */
  why: string;
  dataDir: string;
  retentionMs: number;
  statsRetentionMs: number;
}

export interface OpenHistoryOptions {
  config: HistorySettings;
  /** This process's place among the workers sharing DATA_DIR's file (WORKERS > 1). */
  writer?: HistoryWriter;
  log: Pick<QueryLog, "recent" | "answerOf">;
  /** The shared history in Redis (statistics of every instance, the stream's search). */
  shared?: History & HistorySink & { flush(): Promise<void>; dropped: number };
  /** Whether `shared` can search (there is a stream): else searches read the ring. */
  sharedSearches?: boolean;
  /** Later lines (a damaged file found, the worker failing). */
  report: (line: string) => void;
  /** The batcher the query log already feeds; given its stores here. */
  batcher: HistoryBatcher;
}

export async function openHistory(options: OpenHistoryOptions): Promise<OpenHistory> {
  const shared = options.shared;
  // Without a store, the ring: searched and counted when asked, at no cost per query.
  const memory = new RecentHistory(options.log);
  const searcher = shared && options.sharedSearches ? shared : memory;
  const fallback: History & HistorySink = shared
    ? {
      search: (search) => searcher.search(search),
      stats: (range, client) => shared.stats(range, client),
      write: (entries, answers) => shared.write(entries, answers),
    }
    : memory;
  const elsewhere = shared ? "Redis" : "memory";
  const without = (why: string): OpenHistory => {
    const batcher = options.batcher;
    // Only Redis takes batches; the ring needs none.
    batcher.setSinks(shared ? [fallback] : []);
    return {
      history: fallback,
      batcher,
      line: Promise.resolve(`history: off (${why}): recent queries and statistics in ${elsewhere}`),
      dropped: () => batcher.dropped + (shared?.dropped ?? 0),
      close: async () => {
        batcher.flush();
        await shared?.flush();
      },
    };
  };
  if (!options.config.on) return without(options.config.why);
  const { SqliteHistory } = await import("./sqlite_history.ts");
  let first: ((line: string) => void) | undefined;
  const line = new Promise<string>((resolve) => first = resolve);
  let sqlite: InstanceType<typeof SqliteHistory>;
  try {
    sqlite = new SqliteHistory({
      dir: options.config.dataDir,
      retentionMs: options.config.retentionMs,
      statsRetentionMs: options.config.statsRetentionMs,
      writer: options.writer,
      // Redis is given every batch by the batcher already.
      fallback: shared ? { ...fallback, write: () => {} } : fallback,
      report: (text) => {
        if (first === undefined) return options.report(text);
        const auto = options.config.why.startsWith("HISTORY=auto")
          ? ` (${options.config.why})`
          : "";
        first(text.startsWith("history: off") ? `${text}; kept in ${elsewhere}` : `${text}${auto}`);
        first = undefined;
      },
    });
  } catch (error) {
    // No Worker where the platform has none.
    return without(`no worker: ${error instanceof Error ? error.message : error}`);
  }
  // With Redis, each batch also goes there: every instance's statistics, shown by any.
  const batcher = options.batcher;
  batcher.setSinks(shared ? [sqlite, shared] : [sqlite]);
  const history: History = shared
    ? {
      search: (search) => sqlite.search(search),
      stats: (range, client) => shared.stats(range, client),
    }
    : sqlite;
  return {
    history,
    batcher,
    line,
    dropped: () => batcher.dropped + sqlite.failed + (shared?.dropped ?? 0),
    close: async () => {
      batcher.flush();
      await Promise.all([sqlite.close(), shared?.flush()]);
    },
  };
}
