/**
 * Metrics as Prometheus reads them: queries by door, type, source and rcode; latency
 * histograms; upstream attempts; and the figures read at scrape time from the cache, the
 * shared tier and the blocklist.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { Metrics, PROFILE_SERIES } from "../../observe/metrics.ts";
import { ClientRefusals } from "../../net/rate_limit.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";
import { sample } from "../support/prometheus.ts";

const entry = (fields: Partial<QueryLogEntry>): QueryLogEntry => ({
  time: 0,
  client: "",
  door: "doh",
  name: "www.example",
  type: RType.A,
  source: "upstream",
  rcode: 0,
  durationMs: 3,
  ...fields,
});

Deno.test("Metrics counts queries by door, type, source and rcode", async () => {
  const metrics = new Metrics();
  metrics.record(entry({}));
  metrics.record(entry({}));
  metrics.record(entry({ type: RType.AAAA, source: "blocked", rcode: 3, durationMs: 0.2 }));
  metrics.record(entry({ door: "json", type: 65280, source: "cache" }));
  const { text, contentType } = await metrics.expose();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  const q = (door: string, type: string, source: string, rcode: string) =>
    sample(text, "dns_queries_total", { door, type, source, rcode });
  assert.equal(q("doh", "A", "upstream", "NOERROR"), 2);
  assert.equal(q("doh", "AAAA", "blocked", "NXDOMAIN"), 1);
  assert.equal(q("json", "other", "cache", "NOERROR"), 1);
  assert.equal(sample(text, "dns_query_duration_seconds_count", { source: "upstream" }), 2);
  assert.equal(sample(text, "dns_query_duration_seconds_sum", { source: "upstream" }), 0.006);
  assert.equal(
    sample(text, "dns_query_duration_seconds_bucket", { source: "blocked", le: "0.0005" }),
    1,
  );
});

Deno.test("Metrics counts upstream attempts by outcome and times the answers", async () => {
  const metrics = new Metrics();
  const upstream = "udp://192.0.2.53:53";
  metrics.recordAttempt({ upstream, ms: 12, outcome: "answer" });
  metrics.recordAttempt({ upstream, ms: 1500, outcome: "timeout" });
  metrics.recordAttempt({ upstream, ms: 8, outcome: "answer" });
  const { text } = await metrics.expose();
  assert.equal(sample(text, "dns_upstream_attempts_total", { upstream, outcome: "answer" }), 2);
  assert.equal(sample(text, "dns_upstream_attempts_total", { upstream, outcome: "timeout" }), 1);
  assert.equal(sample(text, "dns_upstream_duration_seconds_count", { upstream }), 2);
  assert.equal(sample(text, "dns_upstream_duration_seconds_sum", { upstream }), 0.02);
});

Deno.test("Metrics reads cache, shared tier and blocklist figures when scraped", async () => {
  let hits = 3;
  const blocklistStats = { blocked: 4, allowed: 1, errors: 2 };
  const metrics = new Metrics({
    cache: () => ({ entries: 10, bytes: 5000, hits, misses: 7, evictions: 1 }),
    sharedCache: () => ({ reads: 5, hits: 2, writes: 9, errors: 1, dropped: 0 }),
    blocklist: {
      stats: blocklistStats,
      summary: () =>
        Promise.resolve([
          { name: "custom", blockEntries: 1, allowEntries: 0 },
          { name: "ads", blockEntries: 1000, allowEntries: 3, loadedAt: 1_700_000_000_000 },
        ]),
    },
    redisCalls: () => ({ waiting: 12, dropped: 345 }),
  });
  let { text } = await metrics.expose();
  assert.equal(sample(text, "dns_cache_entries"), 10);
  assert.equal(sample(text, "dns_cache_bytes"), 5000);
  assert.equal(sample(text, "dns_cache_lookups_total", { result: "hit" }), 3);
  assert.equal(sample(text, "dns_cache_lookups_total", { result: "miss" }), 7);
  assert.equal(sample(text, "dns_shared_cache_operations_total", { operation: "writes" }), 9);
  assert.equal(sample(text, "dns_blocklist_decisions_total", { verdict: "blocked" }), 4);
  assert.equal(sample(text, "dns_blocklist_entries", { list: "ads", kind: "block" }), 1000);
  assert.equal(sample(text, "dns_blocklist_entries", { list: "ads", kind: "allow" }), 3);
  assert.equal(
    sample(text, "dns_blocklist_loaded_timestamp_seconds", { list: "ads" }),
    1_700_000_000,
  );
  assert.equal(sample(text, "dns_redis_errors_total", { component: "cache" }), 1);
  assert.equal(sample(text, "dns_redis_errors_total", { component: "blocklist" }), 2);
  assert.equal(sample(text, "dns_redis_calls_waiting"), 12);
  assert.equal(sample(text, "dns_redis_calls_dropped_total"), 345);
  hits = 30;
  blocklistStats.blocked = 5;
  ({ text } = await metrics.expose());
  assert.equal(
    sample(text, "dns_cache_lookups_total", { result: "hit" }),
    30,
    "read anew each scrape",
  );
  assert.equal(sample(text, "dns_blocklist_decisions_total", { verdict: "blocked" }), 5);
});

Deno.test("Metrics counts queries per profile and source, never per client", async () => {
  const metrics = new Metrics();
  metrics.record(entry({ profile: "kids", source: "blocked", client: "192.0.2.1" }));
  metrics.record(entry({ profile: "kids", source: "blocked", clientName: "Kids tablet" }));
  metrics.record(entry({ profile: "default", source: "cache" }));
  metrics.record(entry({ profile: "kids", source: "upstream" }));
  metrics.record(entry({ profile: undefined, source: "guard", rcode: 5 }));
  const { text } = await metrics.expose();
  const p = (profile: string, source: string) =>
    sample(text, "dns_profile_queries_total", { profile, source });
  assert.equal(p("kids", "blocked"), 2);
  assert.equal(p("kids", "upstream"), 1);
  assert.equal(p("default", "cache"), 1);
  assert.equal(p("kids", "cache"), undefined, "no series for what never happened");
  assert.doesNotMatch(text, /192\.0\.2\.1|Kids tablet/);
  assert.doesNotMatch(
    text,
    /dns_profile_queries_total\{profile="",/,
    "unknown clients have no profile",
  );
});

Deno.test("Metrics keeps series for at most PROFILE_SERIES profiles, the rest as other", async () => {
  const metrics = new Metrics();
  for (let i = 0; i < PROFILE_SERIES + 5; i++) {
    metrics.record(entry({ profile: `p${i}` }));
    metrics.record(entry({ profile: `p${i}` }));
  }
  metrics.record(entry({ profile: "p0" }));
  const { text } = await metrics.expose();
  const series = text.split("\n").filter((line) => line.startsWith("dns_profile_queries_total{"));
  assert.equal(series.length, PROFILE_SERIES + 1);
  assert.equal(sample(text, "dns_profile_queries_total", { profile: "p0", source: "upstream" }), 3);
  assert.equal(
    sample(text, "dns_profile_queries_total", { profile: "_other", source: "upstream" }),
    10,
    "five profiles beyond the bound, twice each",
  );
  assert.equal(
    sample(text, "dns_profile_queries_total", {
      profile: `p${PROFILE_SERIES}`,
      source: "upstream",
    }),
    undefined,
  );
});

Deno.test("Metrics counts refused strangers by door, and only by door", async () => {
  const refusals = new ClientRefusals();
  const metrics = new Metrics({ clientsRefused: () => refusals.counts });
  refusals.refuse("doh", "192.0.2.1");
  refusals.refuse("doh", "192.0.2.2");
  refusals.count("udp");
  const { text } = await metrics.expose();
  assert.equal(sample(text, "dns_clients_refused_total", { door: "doh" }), 2);
  assert.equal(sample(text, "dns_clients_refused_total", { door: "udp" }), 1);
  assert.equal(sample(text, "dns_clients_refused_total", { door: "dot" }), 0);
  const lines = text.split("\n").filter((line) => line.startsWith("dns_clients_refused_total"));
  assert.equal(lines.length, 5, "one series per door, whatever the clients");
});
