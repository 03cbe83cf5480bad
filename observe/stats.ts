/**
 * What the dashboard shows, kept small and current: queries per minute over the last hour
 * (total, blocked, from cache), top names, top blocked names and top clients since start, and
 * upstream latency per upstream over the last hour. Fed by the query log and the pool's
 * attempts. A client is counted by its display name, else as the log keeps it (address or
 * pseudonym; not at all when the log keeps nothing of it).
 *
 * Bounded: 60 minute buckets, and name and client counters that are pruned whenever they
 * reach twice `topCapacity` names: names asked once go, and if that is not enough, all but the
 * most counted `topCapacity` (so counts of rare names are approximate; the top of the list is
 * what a person looks at).
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import type { AttemptOutcome } from "../upstream/pool.ts";

export interface MinuteBucket {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  total: number;
  blocked: number;
  cached: number;
}

export interface StatsSnapshot {
  /** The last `minutes` minutes, oldest first, empty minutes included. */
  perMinute: MinuteBucket[];
  /** Sums over those minutes. */
  lastHour: { total: number; blocked: number; cached: number };
  topNames: [string, number][];
  topBlocked: [string, number][];
  /** By display name, else the client the log keeps. */
  topClients: [string, number][];
  upstreams: { upstream: string; answers: number; failures: number; meanMs: number }[];
}

interface UpstreamMinute {
  minute: number;
  answers: number;
  failures: number;
  totalMs: number;
}

const MINUTE = 60_000;

export interface QueryStatsOptions {
  minutes?: number;
  topCapacity?: number;
  now?: () => number;
}

export class QueryStats {
  #minutes: number;
  #topCapacity: number;
  #now: () => number;
  #buckets: MinuteBucket[] = [];
  #names = new Map<string, number>();
  #blocked = new Map<string, number>();
  #clients = new Map<string, number>();
  #upstreams = new Map<string, UpstreamMinute[]>();

  constructor(options: QueryStatsOptions = {}) {
    this.#minutes = options.minutes ?? 60;
    this.#topCapacity = options.topCapacity ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * One query; one of a profile that logs nothing ("off") is counted, its name and client are
   * not kept.
   */
  record(entry: QueryLogEntry): void {
    const bucket = this.#bucket(entry.time);
    bucket.total++;
    const unlogged = entry.logMode === "off";
    if (entry.source === "blocked") {
      bucket.blocked++;
      if (!unlogged) this.#count(this.#blocked, entry.name);
    } else if (entry.source === "cache" || entry.source === "stale") {
      bucket.cached++;
    }
    if (unlogged) return;
    this.#count(this.#names, entry.name);
    const client = entry.clientName ?? entry.client;
    if (client !== "") this.#count(this.#clients, client);
  }

  /** One upstream attempt; a "busy" one (the upstream was not asked) says nothing of it. */
  recordAttempt(attempt: AttemptOutcome): void {
    if (attempt.outcome === "busy") return;
    let minutes = this.#upstreams.get(attempt.upstream);
    if (minutes === undefined) this.#upstreams.set(attempt.upstream, minutes = []);
    const minute = Math.floor(this.#now() / MINUTE) * MINUTE;
    let last = minutes.at(-1);
    if (last?.minute !== minute) {
      minutes.push(last = { minute, answers: 0, failures: 0, totalMs: 0 });
      const oldest = minute - (this.#minutes - 1) * MINUTE;
      while (minutes.length > 0 && minutes[0].minute < oldest) minutes.shift();
    }
    if (attempt.outcome === "answer") {
      last.answers++;
      last.totalMs += attempt.ms;
    } else {
      last.failures++;
    }
  }

  snapshot(top = 10): StatsSnapshot {
    const now = Math.floor(this.#now() / MINUTE) * MINUTE;
    const oldest = now - (this.#minutes - 1) * MINUTE;
    const byMinute = new Map(this.#buckets.map((bucket) => [bucket.minute, bucket]));
    const perMinute: MinuteBucket[] = [];
    for (let minute = oldest; minute <= now; minute += MINUTE) {
      perMinute.push({ ...(byMinute.get(minute) ?? { total: 0, blocked: 0, cached: 0 }), minute });
    }
    const lastHour = { total: 0, blocked: 0, cached: 0 };
    for (const bucket of perMinute) {
      lastHour.total += bucket.total;
      lastHour.blocked += bucket.blocked;
      lastHour.cached += bucket.cached;
    }
    const upstreams = [...this.#upstreams].map(([upstream, minutes]) => {
      const recent = minutes.filter((m) => m.minute >= oldest);
      const answers = recent.reduce((sum, m) => sum + m.answers, 0);
      const totalMs = recent.reduce((sum, m) => sum + m.totalMs, 0);
      return {
        upstream,
        answers,
        failures: recent.reduce((sum, m) => sum + m.failures, 0),
        meanMs: answers === 0 ? 0 : totalMs / answers,
      };
    });
    return {
      perMinute,
      lastHour,
      topNames: topOf(this.#names, top),
      topBlocked: topOf(this.#blocked, top),
      topClients: topOf(this.#clients, top),
      upstreams,
    };
  }

  #bucket(time: number): MinuteBucket {
    const last = this.#buckets.at(-1);
    // Entries are logged when answered, so one that arrived in the previous minute may come
    // after the current minute's: it counts in the current one, keeping buckets in order.
    const minute = Math.max(Math.floor(time / MINUTE) * MINUTE, last?.minute ?? 0);
    if (last?.minute === minute) return last;
    const bucket = { minute, total: 0, blocked: 0, cached: 0 };
    this.#buckets.push(bucket);
    const oldest = minute - (this.#minutes - 1) * MINUTE;
    while (this.#buckets.length > 0 && this.#buckets[0].minute < oldest) this.#buckets.shift();
    return bucket;
  }

  #count(counts: Map<string, number>, name: string): void {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (counts.size < this.#topCapacity * 2) return;
    // Names asked once go first, in one pass: under a stream of new names (uncached queries)
    // that is nearly all of them, and sorting the whole table each time showed in profiles.
    // forEach, not for-of: no [name, count] pair made per name.
    counts.forEach(dropOnce);
    if (counts.size < this.#topCapacity * 1.5) return;
    const kept = topOf(counts, this.#topCapacity);
    counts.clear();
    for (const [keptName, count] of kept) counts.set(keptName, count);
  }
}

/** Drops a name counted once from the map being walked (deleting the current entry is safe). */
function dropOnce(count: number, name: string, counts: Map<string, number>): void {
  if (count === 1) counts.delete(name);
}

function topOf(counts: Map<string, number>, n: number): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}
