/**
 * What the query history answers, whichever store keeps it (SQLite on a VM, the recent ring or
 * the Redis stream where there is no disk): a search of stored queries, newest first, a page at
 * a time, and statistics over a range. The admin API (`/admin/log`, `/admin/stats`) and the
 * dashboard read only this, so they show the same thing in every deployment.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";

/** How a query ended, as people count them; `outcomeOf` says which a log entry is. */
export type Outcome = "answered" | "cached" | "blocked" | "failed";

export const OUTCOMES: readonly Outcome[] = ["answered", "cached", "blocked", "failed"];

/**
 * The outcome of a query by the source of its answer and its rcode: blocked (by a list, a
 * rule or rebinding protection), cached (fresh or stale), failed (SERVFAIL, REFUSED, or no
 * answer the gateway could give), answered otherwise (upstream or local; NXDOMAIN counts as
 * answered, and its rcode tells it apart).
 */
export function outcomeOf(entry: Pick<QueryLogEntry, "source" | "rcode">): Outcome {
  const source = entry.source;
  if (source === "blocked") return "blocked";
  if (source === "error" || entry.rcode === 2 || entry.rcode === 5) return "failed";
  if (source === "cache" || source === "stale") return "cached";
  return "answered";
}

/** What a search asks for; every field narrows it, none given: every stored query. */
export interface HistorySearch {
  /** Part of the query name, without case ("tracker" finds "a.tracker.example"). */
  name?: string;
  /** A display name or the client as logged (address or pseudonym), without case. */
  client?: string;
  /** A profile name, without case ("default" finds queries logged without a profile). */
  profile?: string;
  /** A record type by number (1 for A). */
  type?: number;
  outcome?: Outcome;
  /** An rcode by number (3 for NXDOMAIN). */
  rcode?: number;
  /** Milliseconds since the epoch, inclusive; absent: from the oldest kept. */
  from?: number;
  /** Milliseconds since the epoch, exclusive; absent: up to now. */
  to?: number;
  /** Where the previous page ended (its `next`); absent: the newest first. */
  cursor?: string;
  /** Rows per page, 1 to 1000. */
  limit: number;
}

/** One stored query as the history gives it back. */
export interface HistoryRow {
  /** The log entry as its JSON line has it (time in ms, type by number, rcode by number). */
  entry: QueryLogEntry;
  /** The answer records in brief ("A 192.0.2.1, A 192.0.2.2", "no records"), "" if none kept. */
  answer: string;
  outcome: Outcome;
  /** The instance that answered it, where several share the history (Redis). */
  instance?: string;
}

export interface HistoryPage {
  rows: HistoryRow[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
  /** Which store answered: "sqlite", "redis", "memory". */
  source?: string;
}

/** The ranges statistics are asked for, and the bucket each is drawn with. */
export const STATS_RANGES = {
  "1h": { ms: 3_600_000, bucketMs: 60_000 },
  "24h": { ms: 86_400_000, bucketMs: 3_600_000 },
  "7d": { ms: 604_800_000, bucketMs: 3_600_000 },
  "30d": { ms: 2_592_000_000, bucketMs: 86_400_000 },
  "90d": { ms: 7_776_000_000, bucketMs: 86_400_000 },
} as const;

export type StatsRange = keyof typeof STATS_RANGES;

/** Statistics over a range, for everyone or one client. */
export interface HistoryStats {
  range: StatsRange;
  /** The client they are for, when one was asked for. */
  client?: string;
  /** Start of the range and bucket width, ms. */
  from: number;
  bucketMs: number;
  /** One bucket per `bucketMs` from `from`, oldest first, each with its count per outcome. */
  buckets: ({ time: number } & Record<Outcome, number>)[];
  totals: Record<Outcome, number>;
  /** Most asked names, most blocked names, most active clients: at most 10 each, most first. */
  topNames: { name: string; count: number }[];
  topBlocked: { name: string; count: number }[];
  topClients: { client: string; count: number }[];
  /** Per profile, when profiles are in use. */
  profiles: { profile: string; count: number }[];
  /** Upstream answer time per upstream, ms: median and 95th percentile over the range. */
  upstreams: { upstream: string; count: number; p50: number; p95: number }[];
  /** Which store answered: "sqlite", "redis", "memory". */
  source: string;
}

/** The query history, as the admin API and the dashboard read it. */
export interface History {
  search(search: HistorySearch): Promise<HistoryPage>;
  stats(range: StatsRange, client?: string): Promise<HistoryStats>;
}
