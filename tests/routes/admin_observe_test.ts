/**
 * The admin calls that look inside (query log tail, why) and the cache flush, plus /metrics,
 * through `app.request()` on an app with a real resolver: memory blocklist, answer cache and
 * the table stage standing in for upstreams. Every call also refuses a missing token.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { cacheStage } from "../../cache/stage.ts";
import { RType } from "../../dns/mod.ts";
import { clientPrivacy } from "../../observe/client_privacy.ts";
import { Metrics } from "../../observe/metrics.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { RecentHistory } from "../../observe/recent_history.ts";
import type { ClientDirectory } from "../../pipeline/profile.ts";
import { parseRecords } from "../../records/parse.ts";
import { RecordStore } from "../../records/store.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { sample } from "../support/prometheus.ts";
import { directoryByAddress, profileOf } from "../support/small_directory.ts";

const TOKEN = "observe-admin-token-0123";
const auth = { authorization: `Bearer ${TOKEN}` };

async function setup(
  options: {
    clientMode?: "address" | "hash" | "off";
    metricsToken?: string;
    directory?: ClientDirectory;
  } = {},
) {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
  const cache = new AnswerCache();
  const records = {
    current: new RecordStore(parseRecords("nas.home.example 300 A 192.168.1.10\n"), 1),
  };
  const metrics = new Metrics({ cache: () => cache.stats() });
  const log = createQueryLog({
    toStdout: false,
    capacity: 50,
    client: await clientPrivacy(options.clientMode ?? "address", "fixed-key"),
    observers: [(entry) => metrics.record(entry)],
  });
  const history = new RecentHistory(log);
  const stages = [
    blocklistStage({ blocklist, answer: { response: "nxdomain", ttl: 60 }, failMode: "open" }),
    cacheStage({ cache, prefetchHits: 0, refreshTimeoutMs: 1000, refresh: () => Promise.reject() }),
  ];
  const resolver = localResolver({ "www.example": ["192.0.2.1"] }, {
    extraStages: stages,
    log,
    directory: options.directory,
  });
  const app = createApp({
    resolver,
    metrics,
    metricsToken: options.metricsToken,
    admin: {
      token: TOKEN,
      log: { history, instance: "test-1" },
      stats: { history },
      cache: { cache },
      why: { blocklist, cache, records },
    },
  });
  const query = async (name: string, type: number = RType.A, from = "192.0.2.77") => {
    const dns = makeQuery(name, type).toBase64({ alphabet: "base64url", omitPadding: true });
    // As Deno.serve passes the peer: the app reads the client address from its env.
    const env = { remoteAddr: { transport: "tcp", hostname: from, port: 5353 } };
    const response = await app.request(`/dns-query?dns=${dns}`, {}, env);
    assert.equal(response.status, 200);
  };
  return { app, query, cache };
}

Deno.test("GET /admin/log tails this instance's queries, newest first, bounded by limit", async () => {
  const { app, query } = await setup();
  await query("www.example");
  await query("ads.example", RType.AAAA);
  const response = await app.request("/admin/log?limit=5", { headers: auth });
  const body = await response.json();
  assert.equal(body.source, "memory");
  assert.deepEqual(
    body.entries.map((e: { instance: string; entry: Record<string, unknown> }) => [
      e.instance,
      e.entry.name,
      e.entry.type,
      e.entry.source,
      e.entry.client,
    ]),
    [
      ["test-1", "ads.example", "AAAA", "blocked", "192.0.2.77"],
      ["test-1", "www.example", "A", "upstream", "192.0.2.77"],
    ],
  );
  assert.equal(body.entries[0].entry.rule, "ads: ads.example");
  assert.equal(
    (await (await app.request("/admin/log?limit=1", { headers: auth })).json()).entries.length,
    1,
  );
  for (const bad of ["0", "1001", "x"]) {
    const refused = await app.request(`/admin/log?limit=${bad}`, { headers: auth });
    assert.equal(refused.status, 400);
  }
  assert.equal((await app.request("/admin/log")).status, 401);
});

Deno.test("GET /admin/log names each client and profile, and keeps one client's or profile's", async () => {
  const directory = directoryByAddress({
    "192.0.2.10": { profile: profileOf("kids", { log: "hash" }), name: "Kids tablet" },
    "192.0.2.20": { profile: profileOf("parents"), name: "Laptop" },
  });
  const { app, query } = await setup({ directory });
  await query("www.example", RType.A, "192.0.2.10");
  await query("ads.example", RType.A, "192.0.2.10");
  await query("www.example", RType.A, "192.0.2.20");
  await query("www.example", RType.AAAA, "192.0.2.77");
  const log = async (parameters: string) => {
    const response = await app.request(`/admin/log?${parameters}`, { headers: auth });
    assert.equal(response.status, 200, parameters);
    const body = await response.json();
    return body.entries.map((
      { entry }: { entry: Record<string, unknown> },
    ) => [entry.clientName ?? entry.client, entry.profile ?? "", entry.name]);
  };
  assert.deepEqual(await log("limit=10"), [
    ["192.0.2.77", "", "www.example"],
    ["Laptop", "parents", "www.example"],
    ["Kids tablet", "kids", "ads.example"],
    ["Kids tablet", "kids", "www.example"],
  ]);
  assert.deepEqual(await log("client=kids%20TABLET&limit=1"), [[
    "Kids tablet",
    "kids",
    "ads.example",
  ]]);
  assert.deepEqual(await log("client=192.0.2.77"), [["192.0.2.77", "", "www.example"]]);
  assert.deepEqual(await log("client=192.0.2.10"), [], "the kids' addresses are not logged");
  assert.deepEqual(await log("profile=parents"), [["Laptop", "parents", "www.example"]]);
  assert.deepEqual(await log("profile=default"), [["192.0.2.77", "", "www.example"]]);
  assert.deepEqual(await log("profile=kids&client=Laptop"), []);
  assert.deepEqual((await log("client=&profile=")).length, 4, "empty filters ask for nothing");
  const bad = await app.request("/admin/log?profile=kids%20tablet", { headers: auth });
  assert.equal(bad.status, 400);
  assert.equal(
    await bad.text(),
    `profile="kids tablet": expected a profile name: letters, digits and '-', 1-63 long\n`,
  );
  const long = await app.request(`/admin/log?client=${"x".repeat(257)}`, { headers: auth });
  assert.equal(long.status, 400);
  await long.body?.cancel();
});

Deno.test("GET /metrics counts each profile's queries by source", async () => {
  const directory = directoryByAddress({
    "192.0.2.10": { profile: profileOf("kids", { log: "off" }), name: "Kids tablet" },
  });
  const { app, query } = await setup({ directory });
  await query("www.example", RType.A, "192.0.2.10");
  await query("ads.example", RType.A, "192.0.2.10");
  await query("www.example", RType.A, "192.0.2.77");
  const text = await (await app.request("/metrics")).text();
  const p = (profile: string, source: string) =>
    sample(text, "dns_profile_queries_total", { profile, source });
  assert.deepEqual([p("kids", "upstream"), p("kids", "blocked"), p("default", "cache")], [1, 1, 1]);
  assert.doesNotMatch(text, /Kids tablet|192\.0\.2\.10/);
});

Deno.test("LOG_CLIENT=hash logs a stable keyed pseudonym; off logs no client", async () => {
  for (const [mode, expected] of [["hash", /^[0-9a-f]{16}$/], ["off", /^$/]] as const) {
    const { app, query } = await setup({ clientMode: mode });
    await query("www.example");
    await query("www.example");
    const body = await (await app.request("/admin/log", { headers: auth })).json();
    const clients = body.entries.map((e: { entry: { client: string } }) => e.entry.client);
    assert.match(clients[0], expected);
    assert.equal(clients[0], clients[1], "the same client, the same pseudonym");
    assert.ok(!JSON.stringify(body).includes("192.0.2.77"), "the address appears nowhere");
  }
});

Deno.test("GET /admin/why explains a block, a cached answer and a plain miss, changing nothing", async () => {
  const { app, query, cache } = await setup();
  const why = async (name: string, type = "A") =>
    await (await app.request(`/admin/why?name=${name}&type=${type}`, { headers: auth })).json();
  assert.equal((await why("x.ads.example")).summary, "blocked by ads: ads.example");
  assert.equal((await why("www.example")).summary, "asked upstream");
  await query("www.example");
  const cached = await why("WWW.example.");
  assert.equal(cached.name, "www.example");
  assert.match(cached.summary, /^answered from the cache \(300 s of 300 s left\)$/);
  assert.equal(cache.stats().hits, 0, "explaining is not a hit");
  assert.equal((await why("www.example", "AAAA")).summary, "asked upstream");
  const local = await why("nas.home.example");
  assert.equal(local.summary, "answered locally from the records file (NOERROR: 1 records)");
  assert.deepEqual(local.local, {
    rcode: "NOERROR",
    answers: ["nas.home.example. 300 A 192.168.1.10"],
  });
  assert.equal((await why("www.example")).local, null);
  const bad = await app.request("/admin/why?name=www.example&type=BOGUS", { headers: auth });
  assert.equal(bad.status, 400);
  assert.equal(await bad.text(), 'type "BOGUS": not a record type\n');
  assert.equal((await app.request("/admin/why?name=a..b", { headers: auth })).status, 400);
});

Deno.test("POST /admin/cache/flush drops one name or everything", async () => {
  const { app, query, cache } = await setup();
  await query("www.example");
  await query("www.example", RType.MX); // NODATA without an SOA: not cached
  await query("other.example"); // NXDOMAIN with an SOA: cached
  await query("other.example", RType.AAAA);
  const flush = (body?: string) =>
    app.request("/admin/cache/flush", { method: "POST", headers: auth, body });
  assert.deepEqual(await (await flush('{"name":"WWW.Example"}')).json(), {
    name: "www.example",
    memory: 1,
    shared: 0,
  });
  assert.equal(cache.stats().entries, 2);
  assert.deepEqual(await (await flush()).json(), { name: null, memory: 2, shared: 0 });
  assert.equal(cache.stats().entries, 0);
  assert.equal((await flush("{")).status, 400);
  assert.equal((await flush('{"name":"1.2.3.4"}')).status, 400);
});

Deno.test("GET /metrics counts the queries answered, open without a token", async () => {
  const { app, query } = await setup();
  await query("www.example");
  await query("www.example");
  await query("ads.example");
  const response = await app.request("/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const q = (source: string, rcode: string) =>
    sample(text, "dns_queries_total", { door: "doh", type: "A", source, rcode });
  assert.equal(q("upstream", "NOERROR"), 1);
  assert.equal(q("cache", "NOERROR"), 1);
  assert.equal(q("blocked", "NXDOMAIN"), 1);
  assert.equal(sample(text, "dns_cache_entries"), 1, "blocked answers are not cached");
});

Deno.test("GET /metrics with METRICS_TOKEN asks for that bearer token: 401 without, 403 wrong", async () => {
  const metricsToken = "metrics-token-0123456789";
  const { app, query } = await setup({ metricsToken });
  await query("www.example");
  const none = await app.request("/metrics");
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="metrics"');
  assert.equal(await none.text(), "/metrics needs Authorization: Bearer <METRICS_TOKEN>\n");
  const wrong = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(wrong.status, 403, "the admin token is not the metrics token");
  await wrong.body?.cancel();
  const right = await app.request("/metrics", {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  assert.equal(right.status, 200);
  const text = await right.text();
  assert.equal(
    sample(text, "dns_queries_total", {
      door: "doh",
      type: "A",
      source: "upstream",
      rcode: "NOERROR",
    }),
    1,
  );
});
