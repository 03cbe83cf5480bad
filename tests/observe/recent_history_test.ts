import assert from "node:assert/strict";
import { encodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { RecentHistory } from "../../observe/recent_history.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";
import { queryMessage } from "../support/dns_query.ts";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 10, 12, 30);

function reply(name: string, rcode: number, addresses: string[]): Uint8Array {
  const message = queryMessage(name, RType.A);
  message.header.response = true;
  message.header.rcode = rcode;
  message.answers = addresses.map((address) => ({
    name,
    type: RType.A,
    class: 1,
    ttl: 60,
    data: { address },
  }));
  return encodeMessage(message);
}

/** A log holding, oldest first: 12 queries of two clients a minute apart, ending at NOW. */
function filledLog() {
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const base = { door: "doh" as const, type: RType.A };
  for (let i = 0; i < 12; i++) {
    const laptop = i % 2 === 0;
    const entry: QueryLogEntry = {
      ...base,
      time: NOW - (11 - i) * 60_000,
      client: laptop ? "192.0.2.10" : "192.0.2.20",
      clientName: laptop ? "laptop" : undefined,
      profile: laptop ? "kids" : undefined,
      name: i === 5 ? "ads.tracker.example" : `www${i % 3}.example`,
      source: i === 5 ? "blocked" : i % 4 === 0 ? "cache" : "upstream",
      rule: i === 5 ? "ads: tracker.example" : undefined,
      upstream: i === 5 || i % 4 === 0 ? undefined : "udp://192.0.2.53:53",
      rcode: i === 5 || i === 7 ? Rcode.NXDOMAIN : i === 9 ? Rcode.SERVFAIL : Rcode.NOERROR,
      durationMs: i,
    };
    log.write(entry, reply(entry.name, entry.rcode!, i === 11 ? ["192.0.2.1"] : []));
  }
  return log;
}

Deno.test("RecentHistory finds queries by name part, client, profile, outcome and rcode", async () => {
  const history = new RecentHistory(filledLog(), { now: () => NOW });
  const names = async (search: object) =>
    (await history.search({ limit: 100, ...search })).rows.map((row) => row.entry.name);
  assert.deepEqual(await names({ name: "TRACKER" }), ["ads.tracker.example"]);
  assert.equal((await names({ client: "LAPTOP" })).length, 6, "by display name");
  assert.equal((await names({ client: "192.0.2.20" })).length, 6, "by address");
  assert.equal((await names({ profile: "kids" })).length, 6);
  assert.equal((await names({ profile: "default" })).length, 6, "no profile: the default one");
  assert.deepEqual(await names({ outcome: "blocked" }), ["ads.tracker.example"]);
  assert.deepEqual(await names({ outcome: "failed" }), ["www0.example"]);
  assert.deepEqual(await names({ rcode: Rcode.NXDOMAIN }), ["www1.example", "ads.tracker.example"]);
  assert.equal((await names({ type: RType.AAAA })).length, 0);
  assert.equal((await names({ from: NOW - 2 * 60_000 })).length, 3);
  assert.equal((await names({ to: NOW - 10 * 60_000 })).length, 1, "to is exclusive");
  const newest = (await history.search({ limit: 1 })).rows[0];
  assert.equal(newest.answer, "A 192.0.2.1", "the answer in brief");
  assert.equal(newest.outcome, "answered");
});

Deno.test("RecentHistory pages newest first, each page going on where the last ended", async () => {
  const log = filledLog();
  const history = new RecentHistory(log, { now: () => NOW });
  const seen: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await history.search({ limit: 5, cursor });
    seen.push(...result.rows.map((row) => row.entry.durationMs!));
    cursor = result.next;
    if (cursor === undefined) break;
    // A newer query arriving between pages does not shift the next page.
    log.write({ time: NOW + page + 1, client: "x", door: "udp", name: "new.example", type: 1 });
  }
  assert.deepEqual(seen, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

Deno.test("RecentHistory pages through queries of the same millisecond without losing one", async () => {
  const log = createQueryLog({ toStdout: false, capacity: 20 });
  for (let i = 0; i < 7; i++) {
    log.write({ time: NOW, client: "c", door: "udp", name: `n${i}.example`, type: 1 });
  }
  const history = new RecentHistory(log, { now: () => NOW });
  const first = await history.search({ limit: 3 });
  const second = await history.search({ limit: 3, cursor: first.next });
  const third = await history.search({ limit: 3, cursor: second.next });
  const all = [...first.rows, ...second.rows, ...third.rows].map((row) => row.entry.name);
  assert.equal(new Set(all).size, 7);
  assert.equal(third.next, undefined);
});

Deno.test("RecentHistory counts a range per bucket and outcome, with tops and percentiles", async () => {
  const history = new RecentHistory(filledLog(), { now: () => NOW });
  const stats = await history.stats("1h");
  assert.equal(stats.bucketMs, 60_000);
  assert.equal(stats.buckets.length, 60);
  assert.equal(stats.buckets.at(-1)!.time, NOW, "the last bucket is the current minute");
  assert.deepEqual(stats.totals, { answered: 7, cached: 3, blocked: 1, failed: 1 });
  const summed = stats.buckets.reduce(
    (sum, b) => sum + b.answered + b.cached + b.blocked + b.failed,
    0,
  );
  assert.equal(summed, 12);
  assert.deepEqual(stats.topBlocked, [{ name: "ads.tracker.example", count: 1 }]);
  assert.deepEqual(stats.topClients, [{ client: "192.0.2.20", count: 6 }, {
    client: "laptop",
    count: 6,
  }]);
  assert.deepEqual(stats.profiles, [{ profile: "default", count: 6 }, {
    profile: "kids",
    count: 6,
  }]);
  const upstream = stats.upstreams[0];
  // From log-scale bins, as every store keeps them: within a bin of the exact 6 and 11 ms.
  assert.deepEqual(upstream, {
    upstream: "udp://192.0.2.53:53",
    count: 8,
    p50: 6.17,
    p95: 10.37,
  });
  assert.equal(stats.source, "memory");

  const laptop = await history.stats("24h", "Laptop");
  assert.equal(laptop.client, "Laptop");
  assert.equal(laptop.bucketMs, HOUR);
  assert.equal(laptop.buckets.length, 24);
  assert.equal(Object.values(laptop.totals).reduce((a, b) => a + b), 6);
  const later = new RecentHistory(filledLog(), { now: () => NOW + 2 * HOUR });
  assert.equal((await later.stats("1h")).totals.answered, 0, "older than the range: not counted");
});
