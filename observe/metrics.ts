/**
 * Prometheus metrics (`GET /metrics`, observe/prometheus.ts): what was asked and answered (per door, type, source and rcode), how fast (histograms in total
 * and per upstream), upstream failures, the cache, the blocklist and Redis errors, and queries
 * per profile (by profile name only, never a ClientID or an address: at most
 * `PROFILE_SERIES` profiles have series of their own).
 *
 * The query path only bumps counters and histograms (one Map lookup each); figures
 * that other parts already keep (cache size, list sizes, Redis errors) are read when
 * Prometheus scrapes, through `collect` callbacks, so they cost nothing between scrapes.
 */
import {
  Counter,
  EXPOSITION_CONTENT_TYPE,
  Histogram,
  Registry,
  Sourced,
  type SourcedSample,
} from "./prometheus.ts";
import type { ListSummary } from "../blocklist/blocklist.ts";
import type { BlocklistStats } from "../blocklist/stage.ts";
import type { CacheStats } from "../cache/answer_cache.ts";
import type { SharedTierStats } from "../cache/shared_tier.ts";
import type { CallCounts } from "../store/call_limit.ts";
import { typeName } from "../dns/mod.ts";
import type { AnswerSource, QueryLogEntry } from "../pipeline/types.ts";
import type { AttemptOutcome } from "../upstream/pool.ts";
import type { DoorStats } from "../doors/connection_table.ts";

/** What the scrape reads from the rest of the gateway; each part is optional. */
export interface MetricsSources {
  cache?: () => CacheStats;
  sharedCache?: () => SharedTierStats;
  blocklist?: {
    stats: BlocklistStats;
    summary: () => Promise<ListSummary[]>;
  };
  /** Errors of the Redis query-log stream, when there is one. */
  logStreamErrors?: () => number;
  /** What the UDP door did to bound answers to unproven addresses; undefined while it is shut. */
  udpDoor?: () => { unprovenTruncated: number; cookiesGiven: number } | undefined;
  /** Calls waiting on Redis, and refused over REDIS_MAX_WAITING, when there is Redis. */
  redisCalls?: () => CallCounts;
  /** What the connection doors (HTTP, TCP, DoT) count, by door. */
  doors?: () => Record<string, DoorStats>;
  /** Strangers refused at each door (CLIENTS_ONLY), when there is a client directory. */
  clientsRefused?: () => Record<string, number>;
  /** Queries the history did not store: its queue was full, or the database failed a batch. */
  historyDropped?: () => number;
}

/** Types worth a label of their own; the rest are "other", so labels stay few. */
const TYPE_LABELS = new Set([
  "A",
  "AAAA",
  "CNAME",
  "MX",
  "TXT",
  "NS",
  "SOA",
  "PTR",
  "SRV",
  "HTTPS",
  "SVCB",
  "CAA",
  "DS",
  "DNSKEY",
  "ANY",
]);
const RCODE_LABELS = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];

/**
 * Profiles with series of their own; queries of any profile beyond are counted as "_other",
 * which no profile can be named (profile names are a-z, 0-9 and '-').
 */
export const PROFILE_SERIES = 1000;

/** A profile's queries by where the answer came from ("none": no answer source). */
type SourceCounts = Record<AnswerSource | "none", number>;

const noCounts = (): SourceCounts => ({
  guard: 0,
  local: 0,
  blocked: 0,
  cache: 0,
  stale: 0,
  upstream: 0,
  error: 0,
  none: 0,
});

export class Metrics {
  readonly registry = new Registry();
  #queries: Counter<"door" | "type" | "source" | "rcode">;
  #duration: Histogram<"source">;
  #upstreamDuration: Histogram<"upstream">;
  #upstreamAttempts: Counter<"upstream" | "outcome">;
  readonly #profiles = new Map<string, SourceCounts>();
  // The last profile counted and its counts: one profile (no profiles file) never looks it up.
  #lastProfile: string | undefined;
  #lastCounts = noCounts();

  constructor(sources: MetricsSources = {}) {
    const registry = this.registry;
    this.#queries = registry.add(
      new Counter({
        name: "dns_queries_total",
        help: "Queries answered, by door, query type, where the answer came from, and rcode.",
        labelNames: ["door", "type", "source", "rcode"],
      }),
    );
    this.#duration = registry.add(
      new Histogram({
        name: "dns_query_duration_seconds",
        help: "Time from a query's arrival to its answer, by where the answer came from.",
        labelNames: ["source"],
        buckets: LATENCY_BUCKETS,
      }),
    );
    this.#upstreamDuration = registry.add(
      new Histogram({
        name: "dns_upstream_duration_seconds",
        help: "Time an upstream took to answer (answers only, failures excluded).",
        labelNames: ["upstream"],
        buckets: LATENCY_BUCKETS,
      }),
    );
    this.#upstreamAttempts = registry.add(
      new Counter({
        name: "dns_upstream_attempts_total",
        help: "Queries sent to each upstream, by outcome (answer, timeout, network, rcode, ...).",
        labelNames: ["upstream", "outcome"],
      }),
    );
    registry.add(
      new Sourced(
        "counter",
        {
          name: "dns_profile_queries_total",
          help:
            `Queries answered, by the profile they were answered under (at most ${PROFILE_SERIES} profiles; the rest as "_other") and where the answer came from.`,
          labelNames: ["profile", "source"],
        },
        () =>
          [...this.#profiles].flatMap(([profile, counts]) =>
            Object.entries(counts).flatMap(([source, value]) =>
              value === 0 ? [] : [{ labels: { profile, source }, value }]
            )
          ),
      ),
    );
    registerSourced(registry, sources);
  }

  /** One answered query, from its query-log entry. */
  record(entry: QueryLogEntry): void {
    const source = entry.source ?? "none";
    this.#queries.inc({
      door: entry.door,
      type: typeLabel(entry.type),
      source,
      rcode: entry.rcode === undefined ? "none" : RCODE_LABELS[entry.rcode] ?? "other",
    });
    if (entry.durationMs !== undefined) {
      this.#duration.observe({ source }, entry.durationMs / 1000);
    }
    const profile = entry.profile;
    // A client refused as unknown has no profile: dns_queries_total counts it (guard, REFUSED).
    if (profile === undefined) return;
    if (profile !== this.#lastProfile) {
      this.#lastCounts = this.#profileCounts(profile);
      this.#lastProfile = profile;
    }
    this.#lastCounts[source]++;
  }

  /** A profile's counts, made on its first query; "_other"'s beyond PROFILE_SERIES profiles. */
  #profileCounts(profile: string): SourceCounts {
    let counts = this.#profiles.get(profile);
    if (counts !== undefined) return counts;
    if (this.#profiles.size >= PROFILE_SERIES) profile = OTHER_PROFILES;
    counts = this.#profiles.get(profile);
    if (counts === undefined) this.#profiles.set(profile, counts = noCounts());
    return counts;
  }

  /** One upstream attempt (the pool's onAttempt). */
  recordAttempt(attempt: AttemptOutcome): void {
    this.#upstreamAttempts.inc({ upstream: attempt.upstream, outcome: attempt.outcome });
    if (attempt.outcome === "answer") {
      this.#upstreamDuration.observe({ upstream: attempt.upstream }, attempt.ms / 1000);
    }
  }

  /** The exposition text and its content type. */
  async expose(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: EXPOSITION_CONTENT_TYPE };
  }
}

/** The label of the queries of profiles beyond PROFILE_SERIES. */
const OTHER_PROFILES = "_other";

/** The type's label: its name when it has a label of its own, else "other" (cached by number). */
const typeLabels = new Map<number, string>();
function typeLabel(type: number): string {
  let label = typeLabels.get(type);
  if (label === undefined) {
    const name = typeName(type);
    label = TYPE_LABELS.has(name) ? name : "other";
    if (typeLabels.size < 65536) typeLabels.set(type, label);
  }
  return label;
}

/** Metrics whose values live elsewhere, read at scrape time. */
function registerSourced(registry: Registry, sources: MetricsSources): void {
  const { cache, sharedCache, blocklist, logStreamErrors, udpDoor, redisCalls, doors } = sources;
  const { clientsRefused } = sources;
  type Read<L extends string> = () => SourcedSample<L>[] | Promise<SourcedSample<L>[]>;
  const sourced =
    (type: "counter" | "gauge") =>
    <L extends string>(name: string, help: string, labelNames: readonly L[], read: Read<L>) =>
      registry.add(new Sourced(type, { name, help, labelNames }, read));
  const counter = sourced("counter");
  const gauge = sourced("gauge");
  if (cache) {
    gauge("dns_cache_entries", "Answers held in the memory cache.", [], () => [
      { value: cache().entries },
    ]);
    gauge(
      "dns_cache_bytes",
      "Bytes the memory cache holds, as CACHE_MAX_BYTES counts them.",
      [],
      () => [
        { value: cache().bytes },
      ],
    );
    counter(
      "dns_cache_lookups_total",
      "Memory cache lookups by result; hit / (hit + miss) is the hit ratio.",
      ["result"],
      () => {
        const stats = cache();
        return [
          { labels: { result: "hit" }, value: stats.hits },
          { labels: { result: "miss" }, value: stats.misses },
        ];
      },
    );
    counter(
      "dns_cache_evictions_total",
      "Answers dropped from the memory cache to stay within CACHE_MAX_BYTES.",
      [],
      () => [{ value: cache().evictions }],
    );
  }
  if (sharedCache) {
    counter(
      "dns_shared_cache_operations_total",
      "Shared (Redis) cache tier operations: reads, hits, writes, errors, dropped writes.",
      ["operation"],
      () =>
        Object.entries(sharedCache()).map(([operation, value]) => ({
          labels: { operation },
          value,
        })),
    );
  }
  if (blocklist) {
    counter(
      "dns_blocklist_decisions_total",
      "Blocklist decisions that blocked or allowed a name, and ones the store failed.",
      ["verdict"],
      () => [
        { labels: { verdict: "blocked" }, value: blocklist.stats.blocked },
        { labels: { verdict: "allowed" }, value: blocklist.stats.allowed },
        { labels: { verdict: "error" }, value: blocklist.stats.errors },
      ],
    );
    counter(
      "dns_rebinding_blocked_total",
      "Answers refused by DNS rebinding protection: a name pointing to a private address.",
      [],
      () => [{ value: blocklist.stats.rebinding ?? 0 }],
    );
    const lists = () => blocklist.summary().catch(() => [] as ListSummary[]);
    gauge(
      "dns_blocklist_entries",
      "Entries per list: block, allow, and IP entries (both kinds) where it has any.",
      ["list", "kind"],
      async () =>
        (await lists()).flatMap((list) => [
          { labels: { list: list.name, kind: "block" }, value: list.blockEntries },
          { labels: { list: list.name, kind: "allow" }, value: list.allowEntries },
          ...(list.ipEntries === undefined
            ? []
            : [{ labels: { list: list.name, kind: "ip" }, value: list.ipEntries }]),
        ]),
    );
    gauge(
      "dns_blocklist_loaded_timestamp_seconds",
      "When each list was last loaded (Unix time).",
      ["list"],
      async () =>
        (await lists()).flatMap((list) =>
          list.loadedAt === undefined
            ? []
            : [{ labels: { list: list.name }, value: list.loadedAt / 1000 }]
        ),
    );
  }
  if (udpDoor) {
    counter(
      "dns_udp_unproven_truncated_total",
      "UDP answers cut with TC=1 to UDP_UNPROVEN_MAX_SIZE: the client had not proven its address.",
      [],
      () => [{ value: udpDoor()?.unprovenTruncated ?? 0 }],
    );
    counter(
      "dns_udp_cookies_given_total",
      "UDP answers that carried a server cookie (RFC 7873).",
      [],
      () => [{ value: udpDoor()?.cookiesGiven ?? 0 }],
    );
  }
  if (doors) {
    const byDoor = (read: (stats: DoorStats) => number) => () =>
      Object.entries(doors()).map(([door, stats]) => ({ labels: { door }, value: read(stats) }));
    gauge(
      "dns_door_connections",
      "Connections a door holds open.",
      ["door"],
      byDoor((s) => s.open),
    );
    counter(
      "dns_door_connections_refused_total",
      "Connections closed at once: over their client's share, or the door full of busy ones.",
      ["door"],
      byDoor((s) => s.refused),
    );
    counter(
      "dns_door_connections_shed_total",
      "Idle connections closed to make room for a newcomer at a full door.",
      ["door"],
      byDoor((s) => s.shed),
    );
    counter(
      "dns_door_accept_errors_total",
      "Accepts that failed, mostly for want of file descriptors; the door paused and went on.",
      ["door"],
      byDoor((s) => s.acceptErrors),
    );
  }
  const { historyDropped } = sources;
  if (historyDropped) {
    counter(
      "dns_history_dropped_total",
      "Queries the history did not store: its queue was full, or the database failed a batch.",
      [],
      () => [{ value: historyDropped() }],
    );
  }
  if (clientsRefused) {
    counter(
      "dns_clients_refused_total",
      "Queries of clients the directory does not know, refused (CLIENTS_ONLY), by door.",
      ["door"],
      () => Object.entries(clientsRefused()).map(([door, value]) => ({ labels: { door }, value })),
    );
  }
  counter(
    "dns_redis_errors_total",
    "Redis calls that failed or timed out, by the part that made them.",
    ["component"],
    () => [
      ...(sharedCache ? [{ labels: { component: "cache" }, value: sharedCache().errors }] : []),
      ...(blocklist ? [{ labels: { component: "blocklist" }, value: blocklist.stats.errors }] : []),
      ...(logStreamErrors
        ? [{ labels: { component: "query_log" }, value: logStreamErrors() }]
        : []),
    ],
  );
  if (redisCalls) {
    gauge(
      "dns_redis_calls_waiting",
      "Redis calls sent or about to be and not yet done with; at most REDIS_MAX_WAITING.",
      [],
      () => [{ value: redisCalls().waiting }],
    );
    counter(
      "dns_redis_calls_dropped_total",
      "Redis calls refused at once because REDIS_MAX_WAITING calls were already waiting.",
      [],
      () => [{ value: redisCalls().dropped }],
    );
  }
}
