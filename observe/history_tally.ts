/**
 * Statistics as counters every history store keeps the same way: counts per minute, hour and
 * day by outcome (for everyone and per client), per profile, the most asked and most blocked
 * names and the most active clients per hour and day, and upstream answer times per hour and
 * day as log-scale histograms (percentiles without keeping every time). A `Tally` folds
 * entries into keyed counters; SQLite adds a batch's to its tables, Redis to its hashes and
 * sorted sets, and the memory store keeps one. `statsOf` turns the counters a store read back
 * for a range into `HistoryStats`, so every store answers alike.
 */
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { COLUMN, type HistoryBatch, INTS } from "./history_batch.ts";
import {
  type HistoryStats,
  type Outcome,
  outcomeOf,
  OUTCOMES,
  STATS_RANGES,
  type StatsRange,
} from "./history.ts";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Minute buckets are kept this long: only the 1h range reads them. */
export const MINUTES_KEPT_MS = 2 * DAY;

/** Top kinds: most asked names, most blocked names, most active clients. */
export type TopKind = "n" | "b" | "c";

/** Upstream answer-time histogram bins: four to each doubling of the time, from a quarter ms. */
export const LATENCY_BINS = 96;

/** The bin of an answer time in ms. */
export function latencyBin(ms: number): number {
  if (!(ms > 0.25)) return 0;
  return Math.min(LATENCY_BINS - 1, Math.floor(Math.log2(ms / 0.25) * 4));
}

/** The time a bin stands for, ms (its middle on the log scale). */
export function binMs(bin: number): number {
  return 0.25 * 2 ** ((bin + 0.5) / 4);
}

/** Who a query counts for: its display name, else the client as the log kept it ("" none). */
export function clientLabel(entry: Pick<QueryLogEntry, "client" | "clientName">): string {
  return entry.clientName ?? entry.client;
}

/**
 * Counters keyed by text, the free-text part last (names and clients may hold any character):
 * `counts` "res|bucket|outcome|client" (client "" for everyone), `profiles`
 * "res|bucket|profile", `tops` "res|bucket|kind|key", `latency` "res|bucket|bin|upstream".
 */
export class Tally {
  counts = new Map<string, number>();
  profiles = new Map<string, number>();
  tops = new Map<string, number>();
  latency = new Map<string, number>();
  /** Entries folded in. */
  size = 0;

  /** Folds one entry in; one whose profile logs nothing is counted without name or client. */
  add(entry: QueryLogEntry): void {
    this.size++;
    const outcome = outcomeOf(entry);
    const unlogged = entry.logMode === "off";
    const client = unlogged ? "" : clientLabel(entry);
    const lowerClient = client.toLowerCase();
    const profile = entry.profile ?? DEFAULT_PROFILE;
    const time = entry.time;
    for (const res of [MINUTE, HOUR, DAY]) {
      const bucket = time - time % res;
      bump(this.counts, `${res}|${bucket}|${outcome}|`);
      if (client !== "") bump(this.counts, `${res}|${bucket}|${outcome}|${lowerClient}`);
      bump(this.profiles, `${res}|${bucket}|${profile}`);
      if (res === MINUTE) continue;
      if (!unlogged) {
        bump(this.tops, `${res}|${bucket}|n|${entry.name}`);
        if (outcome === "blocked") bump(this.tops, `${res}|${bucket}|b|${entry.name}`);
        if (client !== "") bump(this.tops, `${res}|${bucket}|c|${client}`);
      }
      if (entry.upstream !== undefined && entry.durationMs !== undefined) {
        bump(this.latency, `${res}|${bucket}|${latencyBin(entry.durationMs)}|${entry.upstream}`);
      }
    }
  }

  /** Adds another tally's counters to this one's. */
  merge(other: Tally): void {
    for (const [mine, theirs] of this.#tables(other)) {
      for (const [key, n] of theirs) mine.set(key, (mine.get(key) ?? 0) + n);
    }
    this.size += other.size;
  }

  /**
   * Forgets counters of buckets that ended before `oldest` (minute buckets before
   * `oldestMinute`), and keeps at most `topsKept` tops per finished bucket and kind.
   */
  prune(oldest: number, oldestMinute: number, topsKept: number, now: number): void {
    for (const table of [this.counts, this.profiles, this.tops, this.latency]) {
      for (const key of table.keys()) {
        const [res, bucket] = splitKey(key, 2);
        const start = Number(bucket);
        if (start < (Number(res) === MINUTE ? oldestMinute : oldest)) table.delete(key);
      }
    }
    const groups = new Map<string, [string, number][]>();
    for (const [key, n] of this.tops) {
      const [res, bucket, kind] = splitKey(key, 3);
      if (Number(bucket) + Number(res) > now) continue;
      const group = `${res}|${bucket}|${kind}`;
      let members = groups.get(group);
      if (members === undefined) groups.set(group, members = []);
      members.push([key, n]);
    }
    for (const members of groups.values()) {
      if (members.length <= topsKept) continue;
      members.sort((a, b) => b[1] - a[1]);
      for (const [key] of members.slice(topsKept)) this.tops.delete(key);
    }
  }

  #tables(other: Tally): [Map<string, number>, Map<string, number>][] {
    return [
      [this.counts, other.counts],
      [this.profiles, other.profiles],
      [this.tops, other.tops],
      [this.latency, other.latency],
    ];
  }
}

function bump(table: Map<string, number>, key: string, n = 1): void {
  table.set(key, (table.get(key) ?? 0) + n);
}

/** One minute of a batch, counted by the batch's text indexes (a number key per counter). */
interface MinuteCounts {
  /** Entries counted. */
  entries: number;
  /** (label index + 1) * 4 + outcome; label -1: everyone. */
  counts: Map<number, number>;
  /** Profile index (-1: the default profile). */
  profiles: Map<number, number>;
  /** Name index * 2, + 1 for the blocked. */
  names: Map<number, number>;
  /** Label index. */
  clients: Map<number, number>;
  /** Upstream index * LATENCY_BINS + bin. */
  latency: Map<number, number>;
}

/**
 * One minute's counters keyed by their text alone, without resolution or bucket: what a
 * `Tally` holds for that minute at every resolution, kept until it is written (`addTo`).
 * `counts` "outcome|client" (client "" for everyone), `profiles` "profile", `tops`
 * "kind|key", `latency` "bin|upstream".
 */
export class MinuteTally {
  counts = new Map<string, number>();
  profiles = new Map<string, number>();
  tops = new Map<string, number>();
  latency = new Map<string, number>();
  /** Entries folded in. */
  entries = 0;

  /** Counters held. */
  get size(): number {
    return this.counts.size + this.profiles.size + this.tops.size + this.latency.size;
  }

  /** Adds this minute's counters (the minute starting at `start`) to `tally`'s three resolutions. */
  addTo(tally: Tally, start: number): void {
    for (const res of [MINUTE, HOUR, DAY]) {
      const prefix = `${res}|${start - start % res}|`;
      for (const [key, n] of this.counts) bump(tally.counts, prefix + key, n);
      for (const [key, n] of this.profiles) bump(tally.profiles, prefix + key, n);
      if (res === MINUTE) continue;
      for (const [key, n] of this.tops) bump(tally.tops, prefix + key, n);
      for (const [key, n] of this.latency) bump(tally.latency, prefix + key, n);
    }
    tally.size += this.entries;
  }
}

/**
 * A batch's tally, as `Tally.add` of each of its entries makes it, for a fraction of the work
 * (`foldBatch`).
 */
export function tallyBatch(batch: HistoryBatch): Tally {
  const minutes = new Map<number, MinuteTally>();
  foldBatch(batch, (start) => {
    let minute = minutes.get(start);
    if (minute === undefined) minutes.set(start, minute = new MinuteTally());
    return minute;
  });
  const tally = new Tally();
  for (const [start, minute] of minutes) minute.addTo(tally, start);
  return tally;
}

/**
 * Folds a batch into the `MinuteTally` of each minute it has rows in (`minuteOf` gives it by
 * the minute's start), for a fraction of `Tally.add`'s work: each row bumps a few counters
 * keyed by numbers within its minute, and a counter's text key is made once per batch, not
 * per row (cached answers repeat). Returns the start of the newest minute (-Infinity: none).
 */
export function foldBatch(batch: HistoryBatch, minuteOf: (start: number) => MinuteTally): number {
  const { ints, texts, time, duration } = batch;
  const minutes = new Map<number, MinuteCounts>();
  let minute = NaN;
  let newest = -Infinity;
  let counts!: MinuteCounts;
  const probe: Pick<QueryLogEntry, "source" | "rcode"> = {};
  /** Counts `n` rows like the one at `at` (its upstream time's bin, -1 none). */
  const count = (at: number, bin: number, n: number) => {
    counts.entries += n;
    const source = ints[at + COLUMN.source];
    probe.source = source < 0 ? undefined : texts[source] as QueryLogEntry["source"];
    const rcode = ints[at + COLUMN.rcode];
    probe.rcode = rcode < 0 ? undefined : rcode;
    const outcome = OUTCOMES.indexOf(outcomeOf(probe));
    const logMode = ints[at + COLUMN.logMode];
    const unlogged = logMode >= 0 && texts[logMode] === "off";
    let label = -1;
    if (!unlogged) {
      label = ints[at + COLUMN.clientName];
      if (label < 0) label = ints[at + COLUMN.client];
      if (label >= 0 && texts[label] === "") label = -1;
    }
    add(counts.counts, outcome, n);
    if (label >= 0) {
      add(counts.counts, (label + 1) * 4 + outcome, n);
      add(counts.clients, label, n);
    }
    add(counts.profiles, ints[at + COLUMN.profile], n);
    if (!unlogged) {
      const name = ints[at + COLUMN.name] * 2;
      add(counts.names, name, n);
      if (outcome === BLOCKED) add(counts.names, name + 1, n);
    }
    if (bin >= 0) add(counts.latency, ints[at + COLUMN.upstream] * LATENCY_BINS + bin, n);
  };
  // Rows like the one before (a cached answer to one client, again) are counted as a run.
  let last = -1, lastBin = -1, run = 0;
  for (let row = 0; row < batch.count; row++) {
    const at = row * INTS;
    const start = time[row] - time[row] % MINUTE;
    if (start !== minute) {
      if (run > 0) count(last, lastBin, run);
      run = 0;
      minute = start;
      if (start > newest) newest = start;
      let known = minutes.get(start);
      if (known === undefined) {
        known = {
          entries: 0,
          counts: new Map(),
          profiles: new Map(),
          names: new Map(),
          clients: new Map(),
          latency: new Map(),
        };
        minutes.set(start, known);
      }
      counts = known;
    }
    const bin = ints[at + COLUMN.upstream] >= 0 && !Number.isNaN(duration[row])
      ? latencyBin(duration[row])
      : -1;
    if (run > 0 && bin === lastBin && sameCounted(ints, at, last)) {
      run++;
      continue;
    }
    if (run > 0) count(last, lastBin, run);
    last = at;
    lastBin = bin;
    run = 1;
  }
  if (run > 0) count(last, lastBin, run);
  const text = (index: number) => index < 0 ? "" : texts[index];
  for (const [start, counted] of minutes) {
    const into = minuteOf(start);
    into.entries += counted.entries;
    for (const [key, n] of counted.counts) {
      const label = (key >> 2) - 1;
      const who = label < 0 ? "" : texts[label].toLowerCase();
      bump(into.counts, `${OUTCOMES[key & 3]}|${who}`, n);
    }
    for (const [profile, n] of counted.profiles) {
      bump(into.profiles, profile < 0 ? DEFAULT_PROFILE : texts[profile], n);
    }
    for (const [key, n] of counted.latency) {
      bump(into.latency, `${key % LATENCY_BINS}|${texts[Math.floor(key / LATENCY_BINS)]}`, n);
    }
    for (const [key, n] of counted.names) {
      bump(into.tops, `${key & 1 ? "b" : "n"}|${text(key >> 1)}`, n);
    }
    for (const [label, n] of counted.clients) bump(into.tops, `c|${texts[label]}`, n);
  }
  return newest;
}

const BLOCKED = OUTCOMES.indexOf("blocked");

/** The fields of a row a tally counts by (its minute and upstream time's bin aside). */
const COUNTED = [
  COLUMN.name,
  COLUMN.client,
  COLUMN.clientName,
  COLUMN.profile,
  COLUMN.logMode,
  COLUMN.source,
  COLUMN.rcode,
  COLUMN.upstream,
];

/** Whether the rows at `at` and `before` are counted alike. */
function sameCounted(ints: Int32Array, at: number, before: number): boolean {
  for (let i = 0; i < COUNTED.length; i++) {
    if (ints[at + COUNTED[i]] !== ints[before + COUNTED[i]]) return false;
  }
  return true;
}

function add(table: Map<number, number>, key: number, n: number): void {
  table.set(key, (table.get(key) ?? 0) + n);
}

/** The first `parts` fields of a tally key and the rest (the free text) as the last. */
export function splitKey(key: string, parts: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const bar = key.indexOf("|", at);
    if (bar < 0) break;
    out.push(key.slice(at, bar));
    at = bar + 1;
  }
  out.push(key.slice(at));
  return out;
}

/** Which buckets a range is drawn from, and the resolution its tops and percentiles use. */
export function rangeOf(range: StatsRange, now: number) {
  const { ms, bucketMs } = STATS_RANGES[range];
  const count = ms / bucketMs;
  const from = now - now % bucketMs - (count - 1) * bucketMs;
  // Tops, profiles' shares and percentiles: hours for a day or a week, days beyond.
  const coarseMs = bucketMs === MINUTE ? HOUR : bucketMs;
  const coarseFrom = from - from % coarseMs;
  return { from, bucketMs, count, coarseMs, coarseFrom };
}

/** What a store read back for a range: counters, the free text as stored. */
export interface RangeCounters {
  /** [bucket start, outcome, count] at the range's bucket width. */
  counts: [number, Outcome, number][];
  /** [profile, count] over the range. */
  profiles: [string, number][];
  /** [kind, key, count] over the range (at the coarse resolution). */
  tops: [TopKind, string, number][];
  /** [upstream, bin, count] over the range (at the coarse resolution). */
  latency: [string, number, number][];
}

const TOP = 10;

/** The statistics of a range from the counters a store read for it. */
export function statsOf(
  range: StatsRange,
  now: number,
  counters: RangeCounters,
  source: string,
  client?: string,
): HistoryStats {
  const { from, bucketMs, count } = rangeOf(range, now);
  const buckets: HistoryStats["buckets"] = [];
  for (let i = 0; i < count; i++) buckets.push({ time: from + i * bucketMs, ...zeroCounts() });
  const totals = zeroCounts();
  for (const [time, outcome, n] of counters.counts) {
    const index = Math.floor((time - from) / bucketMs);
    if (index < 0 || index >= count || !OUTCOMES.includes(outcome)) continue;
    buckets[index][outcome] += n;
    totals[outcome] += n;
  }
  const sums: Record<TopKind, Map<string, number>> = { n: new Map(), b: new Map(), c: new Map() };
  for (const [kind, key, n] of counters.tops) {
    sums[kind]?.set(key, (sums[kind].get(key) ?? 0) + n);
  }
  const profiles = new Map<string, number>();
  for (const [profile, n] of counters.profiles) {
    profiles.set(profile, (profiles.get(profile) ?? 0) + n);
  }
  const bins = new Map<string, number[]>();
  for (const [upstream, bin, n] of counters.latency) {
    let histogram = bins.get(upstream);
    if (histogram === undefined) bins.set(upstream, histogram = new Array(LATENCY_BINS).fill(0));
    if (bin >= 0 && bin < LATENCY_BINS) histogram[bin] += n;
  }
  return {
    range,
    client,
    from,
    bucketMs,
    buckets,
    totals,
    topNames: top(sums.n).map(([name, count]) => ({ name, count })),
    topBlocked: top(sums.b).map(([name, count]) => ({ name, count })),
    topClients: top(sums.c).map(([client, count]) => ({ client, count })),
    profiles: top(profiles, Infinity).map(([profile, count]) => ({ profile, count })),
    upstreams: [...bins].map(([upstream, histogram]) => {
      const total = histogram.reduce((sum, n) => sum + n, 0);
      return {
        upstream,
        count: total,
        p50: percentile(histogram, total, 0.5),
        p95: percentile(histogram, total, 0.95),
      };
    }).sort((a, b) => b.count - a.count),
    source,
  };
}

function zeroCounts(): Record<Outcome, number> {
  return { answered: 0, cached: 0, blocked: 0, failed: 0 };
}

function top(counts: Map<string, number>, n = TOP): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

function percentile(histogram: number[], total: number, share: number): number {
  if (total === 0) return 0;
  const rank = Math.ceil(total * share);
  let seen = 0;
  for (let bin = 0; bin < histogram.length; bin++) {
    seen += histogram[bin];
    if (seen >= rank) return Math.round(binMs(bin) * 100) / 100;
  }
  return binMs(histogram.length - 1);
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
