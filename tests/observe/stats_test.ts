/**
 * The dashboard's figures on an injected clock: queries per minute over the last hour with
 * empty minutes filled in and old ones dropped, top names and top blocked names, and upstream
 * latency over the hour.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import type { AnswerSource, QueryLogEntry } from "../../pipeline/types.ts";
import { QueryStats } from "../../observe/stats.ts";

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 1, 12, 0);

function entry(time: number, name: string, source: AnswerSource): QueryLogEntry {
  return { time, client: "", door: "doh", name, type: RType.A, source, rcode: 0 };
}

Deno.test("QueryStats counts per minute over the last hour, oldest first, empty minutes filled", () => {
  let now = START;
  const stats = new QueryStats({ now: () => now });
  stats.record(entry(now, "a.example", "upstream"));
  stats.record(entry(now + 1000, "a.example", "cache"));
  stats.record(entry(now + 2 * MINUTE, "ads.example", "blocked"));
  now += 2 * MINUTE + 5000;
  const snapshot = stats.snapshot();
  assert.equal(snapshot.perMinute.length, 60);
  assert.equal(snapshot.perMinute.at(-1)?.minute, START + 2 * MINUTE);
  assert.deepEqual(snapshot.perMinute.slice(-3).map((m) => [m.total, m.blocked, m.cached]), [
    [2, 0, 1],
    [0, 0, 0],
    [1, 1, 0],
  ]);
  assert.deepEqual(snapshot.lastHour, { total: 3, blocked: 1, cached: 1 });
  now += 60 * MINUTE;
  stats.record(entry(now, "b.example", "upstream"));
  assert.deepEqual(stats.snapshot().lastHour, { total: 1, blocked: 0, cached: 0 }, "an hour later");
});

Deno.test("QueryStats keeps late entries in order: they count in the current minute", () => {
  const now = START + 5 * MINUTE;
  const stats = new QueryStats({ now: () => now });
  stats.record(entry(now, "a.example", "upstream"));
  stats.record(entry(now - MINUTE, "late.example", "upstream"));
  assert.equal(stats.snapshot().perMinute.at(-1)?.total, 2);
});

Deno.test("QueryStats ranks names and blocked names, and stays bounded", () => {
  const stats = new QueryStats({ now: () => START, topCapacity: 5 });
  for (let i = 0; i < 7; i++) stats.record(entry(START, "top.example", "upstream"));
  for (let i = 0; i < 3; i++) stats.record(entry(START, "ads.example", "blocked"));
  for (let i = 0; i < 100; i++) stats.record(entry(START, `rare${i}.example`, "upstream"));
  const snapshot = stats.snapshot(2);
  assert.deepEqual(snapshot.topNames, [["top.example", 7], ["ads.example", 3]]);
  assert.deepEqual(snapshot.topBlocked, [["ads.example", 3]]);
});

Deno.test("QueryStats averages upstream answer times over the hour and counts failures", () => {
  let now = START;
  const stats = new QueryStats({ now: () => now });
  const upstream = "udp://192.0.2.1:53";
  stats.recordAttempt({ upstream, ms: 10, outcome: "answer" });
  stats.recordAttempt({ upstream, ms: 30, outcome: "answer" });
  stats.recordAttempt({ upstream, ms: 1500, outcome: "timeout" });
  // Not asked for want of room: no failure of the upstream's.
  stats.recordAttempt({ upstream, ms: 0, outcome: "busy" });
  assert.deepEqual(stats.snapshot().upstreams, [{ upstream, answers: 2, failures: 1, meanMs: 20 }]);
  now += 61 * MINUTE;
  stats.recordAttempt({ upstream, ms: 4, outcome: "answer" });
  assert.deepEqual(stats.snapshot().upstreams, [{ upstream, answers: 1, failures: 0, meanMs: 4 }]);
});

Deno.test("QueryStats under a stream of new names keeps the names asked more than once", () => {
  const stats = new QueryStats({ now: () => START, topCapacity: 100 });
  for (let i = 0; i < 10_000; i++) {
    stats.record(entry(START, `new${i}.example`, "upstream"));
    if (i % 10 === 0) stats.record(entry(START, "popular.example", "upstream"));
    if (i % 50 === 0) stats.record(entry(START, "steady.example", "upstream"));
  }
  const top = stats.snapshot(3).topNames;
  assert.deepEqual(top.slice(0, 2), [["popular.example", 1000], ["steady.example", 200]]);
});

Deno.test("QueryStats ranks clients by display name, else as logged, and stays bounded", () => {
  const stats = new QueryStats({ now: () => START, topCapacity: 5 });
  const from = (client: string, clientName?: string) => ({
    ...entry(START, "a.example", "upstream"),
    client,
    clientName,
  });
  for (let i = 0; i < 4; i++) stats.record(from(`192.0.2.${i + 1}`, "Kids tablet"));
  for (let i = 0; i < 3; i++) stats.record(from("192.0.2.9"));
  stats.record(from("", undefined));
  stats.record({ ...from("192.0.2.10", "Guest phone"), logMode: "off" });
  assert.deepEqual(stats.snapshot().topClients, [["Kids tablet", 4], ["192.0.2.9", 3]]);
  for (let i = 0; i < 100; i++) stats.record(from(`198.51.100.${i}`));
  const clients = stats.snapshot(1000).topClients;
  assert.ok(clients.length < 10, `${clients.length} clients kept`);
  assert.deepEqual(clients.slice(0, 2), [["Kids tablet", 4], ["192.0.2.9", 3]]);
});
