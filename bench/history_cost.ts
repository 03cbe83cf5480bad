/**
 * What storing each query in the history costs in CPU: a stream of log entries as a busy home
 * network makes them (cached answers repeating, misses answered by an upstream, blocked names,
 * several clients, answers as the resolver hands them: views into the shared slab) goes
 * through the real `HistoryBatcher` into the real `SqliteHistory` and its worker, a batch in
 * flight at a time as under load. Reported per stored query: CPU on the answering thread (the
 * main thread: `record`, the batch's hand-over, the worker's acknowledgements) and in the
 * worker (decoding, the answers' text, the inserts, the aggregates), read per thread from
 * /proc/self/task, less the same stream's with history off. The database starts empty, so
 * its tables and `seen` are small: a file of millions of rows costs its worker more. A second
 * stream is one cached answer to one client over DoH, again and again: what the "history on"
 * row of `bench:all` stores.
 * `bench/history.ts` writes it into bench/results/history.md; run alone
 * (`deno task bench:history-cost [--entries=N]`), it rewrites only its section there.
 */
import { Rcode, RType, transientCopy } from "../dns/mod.ts";
import { HistoryBatcher } from "../observe/history_batcher.ts";
import { createQueryLog } from "../observe/query_log.ts";
import { RecentHistory } from "../observe/recent_history.ts";
import { SqliteHistory } from "../observe/sqlite_history.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { addressAnswer } from "../tests/support/dns_query.ts";
import { threadCpuMicros } from "./proc.ts";

export interface HistoryCost {
  entries: number;
  /** CPU µs per stored query on the answering thread, in the worker, in other threads. */
  main: number;
  worker: number;
  other: number;
  seconds: number;
}

const NAMES = 2000;
const CLIENTS = 12;
/** The batcher's largest batch (HistoryBatcher's default). */
const BATCH = 10_000;

const names = Array.from({ length: NAMES }, (_, i) => `host${i}.site${i % 331}.example`);
const cached = names.map((name, i) =>
  addressAnswer(name, [`198.51.${i % 256}.${i >> 8}`, `203.0.113.${i % 200}`])
);
const blocked = names.map((name) => addressAnswer(name, [], { rcode: Rcode.NXDOMAIN }));
const upstreams = ["udp://9.9.9.9:53", "tls://1.1.1.1:853"];

/** When the stream's clock starts: entry `i` is logged `i / 10` ms later. */
const STREAM_START = Date.now();

/** The streams: a busy home network's, or one cached answer to one client (bench:all's). */
export type CostStream = "home" | "one";

/** Entries `from` to `from + count` of the stream and the answers they are logged with. */
function stream(
  from: number,
  count: number,
  kind: CostStream,
): { entries: QueryLogEntry[]; answers: Uint8Array[] } {
  const entries: QueryLogEntry[] = [];
  const answers: Uint8Array[] = [];
  for (let i = from; i < from + count; i++) {
    if (kind === "one") {
      entries.push({
        time: STREAM_START + Math.floor(i / 10),
        client: "127.0.0.1",
        door: "doh",
        method: "GET",
        name: names[0],
        type: RType.A,
        source: "cache",
        rcode: Rcode.NOERROR,
        durationMs: 0.05,
      });
      answers.push(transientCopy(cached[0]));
      continue;
    }
    // A few names asked all the time, a long tail; one in ten blocked, one in five a miss.
    const n = Math.floor(NAMES * Math.random() ** 3);
    const client = Math.floor(CLIENTS * Math.random() ** 2);
    const roll = Math.random();
    const source = n % 10 === 3 ? "blocked" : roll < 0.2 ? "upstream" : "cache";
    const durationMs = source === "upstream" ? 4 + 40 * Math.random() : 0.05;
    const entry: QueryLogEntry = {
      // Ten queries a millisecond, one batch after another as the clock runs on (a batch made
      // faster than real time must not go back over the last one's milliseconds); a miss is
      // logged when its answer comes, after later ones.
      time: STREAM_START + Math.floor(i / 10) - Math.round(durationMs),
      client: `192.168.1.${client + 10}`,
      door: client % 4 === 0 ? "udp" : "doh",
      name: names[n],
      type: RType.A,
      source,
      rcode: source === "blocked" ? Rcode.NXDOMAIN : Rcode.NOERROR,
      durationMs,
    };
    if (entry.door === "doh") entry.method = "GET";
    if (client < 6) entry.clientName = `device-${client}`;
    if (source === "blocked") entry.rule = `ads: ${names[n]}`;
    if (source === "upstream") entry.upstream = upstreams[n % 2];
    entries.push(entry);
    // As the resolver hands them: a copy cut from the shared slab per answer.
    answers.push(transientCopy(source === "blocked" ? blocked[n] : cached[n]));
  }
  return { entries, answers };
}

/**
 * Stores `count` entries in a new database in `dir` and reports the CPU it took per entry: the
 * same stream made and recorded with history off (a batcher with no store) is subtracted.
 */
export async function measureHistoryCost(
  dir: string,
  count: number,
  kind: CostStream = "home",
): Promise<HistoryCost> {
  const off = await run(count, kind);
  const on = await run(count, kind, dir);
  return {
    entries: count,
    main: (on.main - off.main) / count,
    worker: (on.workers - off.workers) / count,
    other: (on.other - off.other) / count,
    seconds: on.seconds,
  };
}

/** CPU per thread group for the stream, stored in `dir` (none: history off). */
async function run(count: number, kind: CostStream, dir?: string) {
  if (dir === undefined) {
    const batcher = new HistoryBatcher({ sinks: [] });
    batcher.setSinks([]);
    const before = threadCpuMicros();
    const started = performance.now();
    for (let i = 0; i < count; i += BATCH) {
      const { entries, answers } = stream(i, Math.min(BATCH, count - i), kind);
      for (let j = 0; j < entries.length; j++) batcher.record(entries[j], answers[j]);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return since(before, started);
  }
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const history = new SqliteHistory({
    dir,
    retentionMs: 7 * 86_400_000,
    statsRetentionMs: 90 * 86_400_000,
    fallback: new RecentHistory(log),
    report: () => {},
    pruneEveryMs: 1000,
  });
  if (!await history.ready()) throw new Error(`history did not open in ${dir}`);
  const batcher = new HistoryBatcher({ sinks: [history] });
  const idle = () => new Promise((resolve) => setTimeout(resolve, 2));
  const before = threadCpuMicros();
  const started = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    const { entries, answers } = stream(i, Math.min(BATCH, count - i), kind);
    for (let j = 0; j < entries.length; j++) batcher.record(entries[j], answers[j]);
    // Under load one batch is stored while the next fills.
    while (history.pending() > BATCH) await idle();
  }
  batcher.flush();
  while (history.pending() > 0) await idle();
  const spent = since(before, started);
  if (batcher.dropped > 0 || history.failed > 0) {
    throw new Error(`${batcher.dropped} dropped, ${history.failed} failed`);
  }
  await history.close();
  return spent;
}

function since(before: ReturnType<typeof threadCpuMicros>, started: number) {
  const after = threadCpuMicros();
  return {
    main: after.main - before.main,
    workers: after.workers - before.workers,
    other: after.other - before.other,
    seconds: (performance.now() - started) / 1000,
  };
}

const HEADING = "## CPU per stored query";
const RESULTS = new URL("./results/history.md", import.meta.url);

/** Measures in a directory of its own and says it as the report's section. */
export async function costSection(count = 1_000_000): Promise<string> {
  const costs: HistoryCost[] = [];
  for (const kind of ["home", "one"] as const) {
    const dir = await Deno.makeTempDir({ prefix: "bench-history-cost-" });
    try {
      costs.push(await measureHistoryCost(dir, count, kind));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const [home, one] = costs;
  const row = (label: string, field: "main" | "worker" | "other") =>
    `| ${label} | ${home[field].toFixed(2)} | ${one[field].toFixed(2)} |`;
  return `${HEADING}

${count.toLocaleString("en")} log entries of each stream through the real \`HistoryBatcher\` and
\`SqliteHistory\` (its worker and a new file), a batch of ${BATCH.toLocaleString("en")} stored while
the next fills, ten entries a millisecond; CPU read per thread from /proc/self/task, less the same
stream's with history off (\`deno task bench:history-cost\`, ${home.seconds.toFixed(1)} s and
${one.seconds.toFixed(1)} s stored). The home stream is as a busy home network makes it (cached
answers repeating, one in five a miss, one in ten blocked, ${CLIENTS} clients, answers as views into
the shared slab); the other is one cached answer to one client over DoH, again and again, as the
"history on" row of \`bench:all\` stores. A file of millions of rows costs its worker more than
this new one.

| thread | CPU µs per stored query, home stream | one cached answer |
| --- | --- | --- |
${row("answering thread (`record`, the batch handed to the worker)", "main")}
${row("history worker (answers' text, inserts, aggregates)", "worker")}
${row("others (garbage collection, I/O)", "other")}

Targets (issue 23): at most 1 µs on the answering thread, and about 2 µs in the worker, whose
thread shares the one core of \`bench:all\`'s "history on" row.
`;
}

if (import.meta.main) {
  const entriesArg = Deno.args.find((arg) => arg.startsWith("--entries="));
  const section = await costSection(entriesArg ? Number(entriesArg.slice(10)) : undefined);
  const last = await Deno.readTextFile(RESULTS).catch(() => "# Query history\n");
  const at = last.indexOf(HEADING);
  const kept = (at < 0 ? last : last.slice(0, at)).trimEnd();
  await Deno.writeTextFile(RESULTS, `${kept}\n\n${section}`);
  console.log(section);
}
