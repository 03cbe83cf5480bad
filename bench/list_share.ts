/**
 * What workers sharing a list's store cost (`deno task bench:list-share`): gateways spawned as
 * `deno task start:workers` runs them, with the 1,000,000-domain bench list from a file, 1 and
 * 4 workers, in alternating rounds: without lists; with the list and a fresh BLOCKLIST_DIR (the
 * first worker to load it builds and stores it, the others map the file: blocklist/
 * shared_sets.ts); 4 workers with BLOCKLIST_DIR off (each builds its own, as before); and one
 * gateway restarted over the stored file (it maps instead of parsing: the load time it
 * reports). Memory is every worker's resident memory summed, RSS and PSS (/proc/<pid>/
 * smaps_rollup: a page shared by k processes counts 1/k in each), at rest 2 s after the last
 * load (no collection is forced: the load frees its scratch itself). Target: 4 workers' PSS ≤
 * 4 × one worker's RSS without lists + the list's store once (summed RSS is reported against it
 * too). Writes bench/results/list_share.md.
 *
 * env: BENCH_ROUNDS (default 3).
 */
import { writeBlocklist } from "./bench_zone.ts";
import { saveResults } from "./floor.ts";
import { median } from "./load_round.ts";
import { childPids } from "./proc.ts";
import { freePort } from "../tests/support/ports.ts";
import { type Gateway, startGateway } from "../tests/support/gateway.ts";
import { residentMemory } from "../tests/support/process_memory.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const DOMAINS = 1_000_000;
const WORKERS = 4;
const REST_MS = 2000;
const LOAD_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;

interface Measured {
  rss: number;
  pss: number;
  anon: number;
  /** Load times the workers reported, ms. */
  loadsMs: number[];
  /** How each worker got its store: "built", "mapped", or "" (not shared). */
  how: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LOAD_LINE = /blocklist bench: file, (\d+) block[^\n]*?(\d+) ms(?:; store (\w+))?/g;

/** `workers` gateways, with the list when `list` is given, measured once each loaded it. */
async function measure(workers: number, list?: string, dir = "off"): Promise<Measured> {
  const env: Record<string, string> = {
    UPSTREAMS: "udp://127.0.0.1:9",
    BLOCKLIST_DIR: dir,
    HTTP_PORT: String(freePort()),
  };
  if (list !== undefined) env.BLOCKLIST_URLS = `bench=${list}`;
  if (workers > 1) env.WORKERS = String(workers);
  const gateway = await startGateway({
    env,
    permissions: [`--allow-run=${Deno.execPath()}`],
    stdout: "null",
  });
  try {
    const loads = () => [...gateway.stderr().matchAll(LOAD_LINE)];
    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    while (list !== undefined && loads().length < workers) {
      if (Date.now() > deadline) throw new Error(`lists not loaded:\n${gateway.stderr()}`);
      await sleep(50);
    }
    for (const [, entries] of loads()) {
      if (Number(entries) !== DOMAINS) throw new Error(`${entries} entries loaded`);
    }
    await sleep(REST_MS);
    return {
      ...await summedMemory(gateway),
      loadsMs: loads().map((load) => Number(load[2])),
      how: loads().map((load) => load[3] ?? ""),
    };
  } finally {
    await gateway.stop();
  }
}

/** Every worker's RSS, PSS and anonymous memory, summed. */
async function summedMemory(gateway: Gateway) {
  const sum = { rss: 0, pss: 0, anon: 0 };
  for (const pid of [gateway.pid, ...await childPids(gateway.pid)]) {
    const memory = await residentMemory(pid);
    sum.rss += memory.rss;
    sum.pss += memory.pss;
    sum.anon += memory.anon;
  }
  return sum;
}

/** Bytes of the stored build in `dir` (the store, its header and the parse's extras). */
async function storedBytes(dir: string): Promise<number> {
  for await (const entry of Deno.readDir(`${dir}/sets`)) {
    if (entry.name.startsWith("bench+")) return (await Deno.stat(`${dir}/sets/${entry.name}`)).size;
  }
  throw new Error("no stored build");
}

const mib = (bytes: number) => (bytes / MIB).toFixed(1);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bench-list-share-" });
  try {
    const list = await writeBlocklist(dir, DOMAINS);
    const rows: Record<string, Measured[]> = {};
    const add = (row: string, measured: Measured) => (rows[row] ??= []).push(measured);
    let store = 0;
    for (let i = 0; i < ROUNDS; i++) {
      add("1 worker, no lists", await measure(1));
      const state = `${dir}/state-${i}`;
      add("1 worker, list built and stored", await measure(1, list, state));
      store = await storedBytes(state);
      add("1 worker restarted, list mapped", await measure(1, list, state));
      add(`${WORKERS} workers, no lists`, await measure(WORKERS));
      add(`${WORKERS} workers, list shared`, await measure(WORKERS, list, `${state}-workers`));
      add(`${WORKERS} workers, BLOCKLIST_DIR=off`, await measure(WORKERS, list));
    }
    const of = (row: string, pick: (m: Measured) => number) => median(rows[row].map(pick));
    const bare = of("1 worker, no lists", (m) => m.rss);
    const sharedPss = of(`${WORKERS} workers, list shared`, (m) => m.pss);
    const target = WORKERS * bare + store;
    const loads = (row: string) =>
      rows[row][0].loadsMs.length === 0
        ? "–"
        : rows[row].map((m) => m.loadsMs.join("+")).join(", ");
    const lines = [
      `Gateway processes at rest (${REST_MS / 1000} s after the last load), with the ` +
      `${DOMAINS.toLocaleString("en")}-domain bench list read from a file; every worker's ` +
      `memory summed; medians of ${ROUNDS} alternating rounds, Deno ${Deno.version.deno}.`,
      "",
      "| gateway | RSS MiB | PSS MiB | anonymous MiB | stores (built / mapped) | load ms, each round |",
      "| --- | ---: | ---: | ---: | --- | --- |",
      ...Object.keys(rows).map((row) => {
        const how = rows[row][0].how;
        const stores = how.length === 0
          ? "–"
          : `${how.filter((h) => h !== "mapped").length} / ${
            how.filter((h) => h === "mapped").length
          }`;
        return `| ${row} | ${mib(of(row, (m) => m.rss))} | ${mib(of(row, (m) => m.pss))} | ` +
          `${mib(of(row, (m) => m.anon))} | ` +
          `${stores} | ${loads(row)} |`;
      }),
      "",
      `- The list's stored build: ${mib(store)} MiB (its sets' arrays, a header, the parse's ` +
      "other results).",
      `- ${WORKERS} workers sharing the list: PSS ${mib(sharedPss)} MiB against ${WORKERS} × one ` +
      `worker without lists + the store once (${WORKERS} × ${mib(bare)} + ${mib(store)}) = ` +
      `${mib(target)} MiB (${verdict(sharedPss <= target)}). The list costs ${WORKERS} workers ` +
      `${
        mib(sharedPss - of(`${WORKERS} workers, no lists`, (m) => m.pss))
      } MiB of PSS when shared, ${
        mib(
          of(`${WORKERS} workers, BLOCKLIST_DIR=off`, (m) => m.pss) -
            of(`${WORKERS} workers, no lists`, (m) => m.pss),
        )
      } MiB when each builds its own.`,
      `- Summed RSS of the ${WORKERS} sharing workers: ${
        mib(of(`${WORKERS} workers, list shared`, (m) => m.rss))
      } MiB (${
        verdict(of(`${WORKERS} workers, list shared`, (m) => m.rss) <= target)
      } against the same ${mib(target)} MiB): RSS counts a shared page in every process that ` +
      "maps it (the store's pages once per worker, and the deno binary's code pages the load " +
      "runs), where PSS splits it among them.",
      `- A restart over the stored build maps it instead of parsing: load ` +
      `${of("1 worker restarted, list mapped", (m) => m.loadsMs[0])} ms against ` +
      `${of("1 worker, list built and stored", (m) => m.loadsMs[0])} ms to parse, build and ` +
      "store it (medians, as the gateway reports them).",
      "",
    ];
    await saveResults("list_share.md", lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

await main();
