/**
 * Prometheus metrics (`GET /metrics`) through prom-client, the maintained npm client: what
 * was asked and answered (per door, type, source and rcode), how fast (histograms in total
 * and per upstream), upstream failures, the cache, the blocklist and Redis errors.
 *
 * The query path only bumps counters and histograms (a few hundred ns per query); figures
 * that other parts already keep (cache size, list sizes, Redis errors) are read when
 * Prometheus scrapes, through `collect` callbacks, so they cost nothing between scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ListSummary } from "../blocklist/blocklist.ts";
import type { BlocklistStats } from "../blocklist/stage.ts";
import type { CacheStats } from "../cache/answer_cache.ts";
import type { SharedTierStats } from "../cache/shared_tier.ts";
import { typeName } from "../dns/mod.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import type { AttemptOutcome } from "../upstream/pool.ts";

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

export class Metrics {
  readonly registry = new Registry();
  #queries: Counter<"door" | "type" | "source" | "rcode">;
  #duration: Histogram<"source">;
  #upstreamDuration: Histogram<"upstream">;
  #upstreamAttempts: Counter<"upstream" | "outcome">;

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    this.#queries = new Counter({
      name: "dns_queries_total",
      help: "Queries answered, by door, query type, where the answer came from, and rcode.",
      labelNames: ["door", "type", "source", "rcode"],
      registers,
    });
    this.#duration = new Histogram({
      name: "dns_query_duration_seconds",
      help: "Time from a query's arrival to its answer, by where the answer came from.",
      labelNames: ["source"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#upstreamDuration = new Histogram({
      name: "dns_upstream_duration_seconds",
      help: "Time an upstream took to answer (answers only, failures excluded).",
      labelNames: ["upstream"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#upstreamAttempts = new Counter({
      name: "dns_upstream_attempts_total",
      help: "Queries sent to each upstream, by outcome (answer, timeout, network, rcode, ...).",
      labelNames: ["upstream", "outcome"],
      registers,
    });
    registerSourced(registers, sources);
  }

  /** One answered query, from its query-log entry. */
  record(entry: QueryLogEntry): void {
    const type = typeName(entry.type);
    const rcode = entry.rcode === undefined ? "none" : RCODE_LABELS[entry.rcode] ?? "other";
    const source = entry.source ?? "none";
    this.#queries.inc({
      door: entry.door,
      type: TYPE_LABELS.has(type) ? type : "other",
      source,
      rcode,
    });
    if (entry.durationMs !== undefined) {
      this.#duration.observe({ source }, entry.durationMs / 1000);
    }
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
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** Metrics whose values live elsewhere, read at scrape time. */
function registerSourced(registers: Registry[], sources: MetricsSources): void {
  const { cache, sharedCache, blocklist, logStreamErrors } = sources;
  if (cache) {
    gauge(
      registers,
      "dns_cache_entries",
      "Answers held in the memory cache.",
      () => cache().entries,
    );
    gauge(
      registers,
      "dns_cache_bytes",
      "Bytes the memory cache holds, as CACHE_MAX_BYTES counts them.",
      () => cache().bytes,
    );
    new Counter({
      name: "dns_cache_lookups_total",
      help: "Memory cache lookups by result; hit / (hit + miss) is the hit ratio.",
      labelNames: ["result"],
      registers,
      collect() {
        const stats = cache();
        this.reset();
        this.inc({ result: "hit" }, stats.hits);
        this.inc({ result: "miss" }, stats.misses);
      },
    });
    new Counter({
      name: "dns_cache_evictions_total",
      help: "Answers dropped from the memory cache to stay within CACHE_MAX_BYTES.",
      registers,
      collect() {
        this.reset();
        this.inc(cache().evictions);
      },
    });
  }
  if (sharedCache) {
    new Counter({
      name: "dns_shared_cache_operations_total",
      help: "Shared (Redis) cache tier operations: reads, hits, writes, errors, dropped writes.",
      labelNames: ["operation"],
      registers,
      collect() {
        const stats = sharedCache();
        this.reset();
        for (const [operation, value] of Object.entries(stats)) this.inc({ operation }, value);
      },
    });
  }
  if (blocklist) {
    new Counter({
      name: "dns_blocklist_decisions_total",
      help: "Blocklist decisions that blocked or allowed a name, and ones the store failed.",
      labelNames: ["verdict"],
      registers,
      collect() {
        this.reset();
        this.inc({ verdict: "blocked" }, blocklist.stats.blocked);
        this.inc({ verdict: "allowed" }, blocklist.stats.allowed);
        this.inc({ verdict: "error" }, blocklist.stats.errors);
      },
    });
    const summaryGauge = (name: string, help: string, value: (list: ListSummary) => number[]) =>
      new Gauge({
        name,
        help,
        labelNames: ["list", "kind"],
        registers,
        async collect() {
          this.reset();
          const lists = await blocklist.summary().catch(() => []);
          for (const list of lists) {
            const [block, allow] = value(list);
            this.set({ list: list.name, kind: "block" }, block);
            this.set({ list: list.name, kind: "allow" }, allow);
          }
        },
      });
    summaryGauge(
      "dns_blocklist_entries",
      "Entries per list, block and allow.",
      (list) => [list.blockEntries, list.allowEntries],
    );
    new Gauge({
      name: "dns_blocklist_loaded_timestamp_seconds",
      help: "When each list was last loaded (Unix time).",
      labelNames: ["list"],
      registers,
      async collect() {
        this.reset();
        for (const list of await blocklist.summary().catch(() => [])) {
          if (list.loadedAt !== undefined) this.set({ list: list.name }, list.loadedAt / 1000);
        }
      },
    });
  }
  new Counter({
    name: "dns_redis_errors_total",
    help: "Redis calls that failed or timed out, by the part that made them.",
    labelNames: ["component"],
    registers,
    collect() {
      this.reset();
      if (sharedCache) this.inc({ component: "cache" }, sharedCache().errors);
      if (blocklist) this.inc({ component: "blocklist" }, blocklist.stats.errors);
      if (logStreamErrors) this.inc({ component: "query_log" }, logStreamErrors());
    },
  });
}

function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}
