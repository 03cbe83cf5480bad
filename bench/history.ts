/**
 * `deno task bench:history`: fills a history database with 10,000,000 queries spread over 7
 * days, through the worker's own insert path (`HistoryDb.insert`, batches and aggregates
 * included), then measures a name search over the 7 days, statistics for 30 days, and the
 * bytes each stored query takes on disk (file size over rows: rows, indexes, dictionaries and
 * aggregate tables together), and the CPU each stored query costs (bench/history_cost.ts,
 * also run alone: `deno task bench:history-cost`). Writes bench/results/history.md.
 *
 *   deno task bench:history [--rows=N]
 */
import { HistoryDb } from "../observe/history_db.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { costSection } from "./history_cost.ts";

const DAY = 86_400_000;
const rowsArg = Deno.args.find((arg) => arg.startsWith("--rows="));
const ROWS = rowsArg ? Number(rowsArg.slice(7)) : 10_000_000;
const BATCH = 5000;
const NAMES = 60_000;
const CLIENTS = 40;
/** Longest the fill may take; a slower machine stops there and reports the rows it stored. */
const FILL_BUDGET_MS = 30 * 60_000;
const RUNS = 20;

const dir = await Deno.makeTempDir({ prefix: "bench-history-" });
const path = `${dir}/history.db`;
const db = new HistoryDb(path, { retentionMs: 7 * DAY, statsRetentionMs: 90 * DAY });
const now = Date.now();
const start = now - 7 * DAY;
const step = (7 * DAY) / ROWS;

// A household's mix: a few names asked all the time, a long tail asked rarely.
const names = Array.from({ length: NAMES }, (_, i) => {
  const site = ["example", "cdn", "tracker", "video", "mail", "news", "shop"][i % 7];
  return `host${i}.${site}${i % 997}.test`;
});
const pick = (n: number) => Math.floor(n * Math.random() ** 3);
const upstreams = ["udp://9.9.9.9:53", "udp://149.112.112.112:53"];

function entryAt(i: number): { entry: QueryLogEntry; answer: string } {
  const n = pick(NAMES);
  const blocked = n % 7 === 2;
  const cached = !blocked && Math.random() < 0.6;
  const client = pick(CLIENTS);
  const entry: QueryLogEntry = {
    time: Math.floor(start + i * step),
    client: `192.168.1.${client + 10}`,
    door: client % 3 === 0 ? "udp" : "doh",
    name: names[n],
    type: n % 5 === 0 ? 28 : 1,
    source: blocked ? "blocked" : cached ? "cache" : "upstream",
    rcode: blocked || n % 97 === 0 ? 3 : 0,
    durationMs: cached || blocked ? 0.1 : 5 + Math.random() * 40,
  };
  if (client % 3 !== 0) entry.method = "GET";
  if (client < 8) entry.clientName = `device-${client}`;
  if (blocked) entry.rule = `ads: ${names[n]}`;
  if (!cached && !blocked) entry.upstream = upstreams[n % 2];
  const answer = blocked || entry.rcode === 3
    ? "no records"
    : `A 198.51.${n % 256}.${(n >> 8) % 256}`;
  return { entry, answer };
}

const fillStarted = performance.now();
let stored = 0;
while (stored < ROWS && performance.now() - fillStarted < FILL_BUDGET_MS) {
  const batch = [];
  for (let i = 0; i < BATCH && stored + i < ROWS; i++) batch.push(entryAt(stored + i));
  db.insert(batch);
  stored += batch.length;
  // As the worker does every second: retention, and the tops of finished hours cut.
  if (stored % 100_000 === 0) db.prune(batch[batch.length - 1].entry.time);
  if (stored % 1_000_000 === 0) {
    console.error(`${stored} rows, ${((performance.now() - fillStarted) / 1000).toFixed(0)} s`);
  }
}
const fillSeconds = (performance.now() - fillStarted) / 1000;
db.prune(now);
db.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
const bytes = (await Deno.stat(path)).size;
const rows = db.count();

function measure(what: string, run: () => unknown): { what: string; median: number; p95: number } {
  run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { what, median: times[RUNS >> 1], p95: times[Math.floor(RUNS * 0.95) - 1] };
}

const from = now - 7 * DAY;
const results = [
  measure(
    "name search, 7 days: a rare name (`host59999`), 100 rows",
    () => db.search({ name: "host59999", from, limit: 100 }, now),
  ),
  measure(
    "name search, 7 days: `tracker` (8,571 names), 100 rows",
    () => db.search({ name: "tracker", from, limit: 100 }, now),
  ),
  measure(
    "name search, 7 days: `host12` (111 names), 100 rows",
    () => db.search({ name: "host12", from, limit: 100 }, now),
  ),
  measure(
    "name search, 7 days: `host1234.` and a client, 100 rows",
    () => db.search({ name: "host1234.", client: "device-3", from, limit: 100 }, now),
  ),
  measure(
    "client search, 7 days: `device-7`, 100 rows",
    () => db.search({ client: "device-7", from, limit: 100 }, now),
  ),
  measure("newest 100, no filter", () => db.search({ limit: 100 }, now)),
  measure("stats 24h", () => db.stats("24h", now)),
  measure("stats 7d", () => db.stats("7d", now)),
  measure("stats 30d", () => db.stats("30d", now)),
  measure("stats 30d, one client", () => db.stats("30d", now, "device-3")),
  measure("stats 90d", () => db.stats("90d", now)),
];
db.close();
await Deno.remove(dir, { recursive: true });

const table = results.map(({ what, median, p95 }) =>
  `| ${what} | ${median.toFixed(1)} | ${p95.toFixed(1)} |`
).join("\n");
const report = `# Query history: 10,000,000 stored queries

\`deno task bench:history\` (bench/history.ts), ${
  new Date().toISOString().slice(0, 10)
}, Deno ${Deno.version.deno},
${navigator.hardwareConcurrency} cores shared with other work. ${
  rows.toLocaleString("en")
} queries over 7 days
(${
  NAMES.toLocaleString("en")
} names, a few asked often, a long tail; ${CLIENTS} clients), stored through
\`HistoryDb.insert\` in batches of ${BATCH} as the worker does, aggregates included.

| figure | value |
| --- | --- |
| rows stored | ${rows.toLocaleString("en")} |
| fill time | ${fillSeconds.toFixed(0)} s (${
  Math.round(rows / fillSeconds).toLocaleString("en")
} rows/s) |
| file size | ${(bytes / 1e6).toFixed(0)} MB |
| bytes per stored query (whole file: rows, indexes, dictionaries, aggregates) | ${
  (bytes / rows).toFixed(1)
} |

| query | median ms | p95 ms |
| --- | --- | --- |
${table}

Targets (issue 23): a name search over 7 days within 200 ms, statistics for 30 days within
100 ms, at most 100 bytes per stored query.

${await costSection()}`;
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(new URL("./results/history.md", import.meta.url), report);
console.log(report);
