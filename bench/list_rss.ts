/**
 * What a big list costs a real gateway (`deno task bench:list-rss`): gateways spawned as
 * `deno task start` runs them, without lists and with the 1,000,000-domain bench list from a
 * file (BLOCKLIST_DIR off), in alternating rounds: the load time the gateway itself reports,
 * the resident memory from /proc at rest (2 s after the load; no collection is forced: the load
 * frees its scratch itself), all of it and its anonymous part, whose difference is the deno
 * binary's own code pages that the load runs for the first time; on a third gateway each
 * round, the longest a /health request waited while the list loaded (asked one after another:
 * the event loop's longest pause as a client sees it; asking costs memory, hence apart); and
 * WORKERS=4 with the list, every worker's memory summed (RSS, and PSS). Targets: RSS with the
 * list ≤ without + 16 B a domain, load ≤ 1 s, longest pause ≤ 64 ms; 4 workers ≤ 4 × one
 * without lists + the store once. Writes bench/results/list_rss.md.
 *
 * env: BENCH_ROUNDS (default 3).
 */
import { writeBlocklist } from "./bench_zone.ts";
import { saveResults } from "./floor.ts";
import { childPids } from "./proc.ts";
import { DomainSet, EntryFingerprints } from "../blocklist/domain_set.ts";
import { lineCountSteps, parseBytesSteps } from "../blocklist/parse.ts";
import { runAtOnce } from "../blocklist/slices.ts";
import { freePort } from "../tests/support/ports.ts";
import { median } from "./load_round.ts";
import { type Gateway, startGateway } from "../tests/support/gateway.ts";
import { type ResidentMemory, residentMemory } from "../tests/support/process_memory.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const DOMAINS = 1_000_000;
const MAX_BYTES_PER_DOMAIN = 16;
const MAX_LOAD_MS = 1000;
const MAX_PAUSE_MS = 64;
const REST_MS = 2000;
const WARM_REQUESTS = 5;
const MIB = 1024 * 1024;
const WORKERS = 4;

interface Round {
  memory: ResidentMemory;
  loadMs?: number;
  longestWaitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One GET /health: how long it took, ms. */
async function health(gateway: Gateway): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${gateway.url}/health`);
  await response.body?.cancel();
  return performance.now() - started;
}

/**
 * Asks /health one request after another until `done`, after a few that load the routes (the
 * app is imported on the first request); the longest any one took.
 */
async function longestWait(gateway: Gateway, done: () => boolean): Promise<number> {
  for (let i = 0; i < WARM_REQUESTS; i++) await health(gateway);
  if (done()) throw new Error("the list loaded before the routes were warm");
  let longest = 0;
  while (!done()) longest = Math.max(longest, await health(gateway));
  return longest;
}

/**
 * One gateway: with `list`, timed while it loads (its /health asked throughout, when `probe`),
 * then measured at rest.
 */
async function round(list: string | undefined, probe = false): Promise<Round> {
  const env: Record<string, string> = { UPSTREAMS: "udp://127.0.0.1:9", BLOCKLIST_DIR: "off" };
  if (list !== undefined) env.BLOCKLIST_URLS = `bench=${list}`;
  const gateway = await startGateway({ env, stdout: "null" });
  try {
    if (list === undefined) {
      await sleep(REST_MS);
      return { memory: await residentMemory(gateway.pid) };
    }
    const loaded = () => /blocklist bench: file, (\d+) block[^\n]*?(\d+) ms/.exec(gateway.stderr());
    const deadline = Date.now() + 60_000;
    const done = () => {
      if (Date.now() > deadline) throw new Error(`list not loaded:\n${gateway.stderr()}`);
      return loaded() !== null;
    };
    const longestWaitMs = probe ? await longestWait(gateway, done) : undefined;
    while (!done()) await sleep(20);
    const [, entries, ms] = loaded()!;
    if (Number(entries) !== DOMAINS) throw new Error(`${entries} entries loaded`);
    await sleep(REST_MS);
    return { memory: await residentMemory(gateway.pid), loadMs: Number(ms), longestWaitMs };
  } finally {
    await gateway.stop();
  }
}

/**
 * `WORKERS` gateways with the list: every worker's RSS, summed, and its proportional share
 * (PSS: a page shared by k processes counts 1/k in each), once each worker has loaded it.
 */
async function workersRound(list: string): Promise<{ rss: number; pss: number }> {
  const gateway = await startGateway({
    env: {
      UPSTREAMS: "udp://127.0.0.1:9",
      BLOCKLIST_DIR: "off",
      BLOCKLIST_URLS: `bench=${list}`,
      WORKERS: String(WORKERS),
      HTTP_PORT: String(freePort()),
    },
    permissions: [`--allow-run=${Deno.execPath()}`],
    stdout: "null",
  });
  try {
    const deadline = Date.now() + 120_000;
    const loads = () => gateway.stderr().match(/blocklist bench: file, \d+ block/g)?.length ?? 0;
    while (loads() < WORKERS) {
      if (Date.now() > deadline) throw new Error(`lists not loaded:\n${gateway.stderr()}`);
      await sleep(50);
    }
    await sleep(REST_MS);
    const pids = [gateway.pid, ...await childPids(gateway.pid)];
    let rss = 0;
    let pss = 0;
    for (const pid of pids) {
      const memory = await residentMemory(pid);
      rss += memory.rss;
      pss += memory.pss;
    }
    return { rss, pss };
  } finally {
    await gateway.stop();
  }
}

/** The list's store as the memory store holds it, bytes. */
async function storeBytes(list: string): Promise<number> {
  const bytes = await Deno.readFile(list);
  const fingerprints = new EntryFingerprints(runAtOnce(lineCountSteps(bytes)));
  runAtOnce(parseBytesSteps(bytes, fingerprints));
  return runAtOnce(DomainSet.buildSteps([], fingerprints)).byteLength;
}

const mib = (bytes: number) => (bytes / MIB).toFixed(1);
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bench-list-rss-" });
  try {
    const list = await writeBlocklist(dir, DOMAINS);
    const bare: Round[] = [];
    const listed: Round[] = [];
    const probed: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await round(undefined));
      listed.push(await round(list));
      probed.push(await round(list, true));
    }
    const workers = await workersRound(list);
    const store = await storeBytes(list);
    const of = (rounds: Round[], pick: (memory: ResidentMemory) => number) =>
      median(rounds.map((r) => pick(r.memory)));
    const rss = { bare: of(bare, (m) => m.rss), listed: of(listed, (m) => m.rss) };
    const anon = { bare: of(bare, (m) => m.anon), listed: of(listed, (m) => m.anon) };
    const file = { bare: of(bare, (m) => m.file), listed: of(listed, (m) => m.file) };
    const perDomain = (rss.listed - rss.bare) / DOMAINS;
    const anonPerDomain = (anon.listed - anon.bare) / DOMAINS;
    const loadMs = median(listed.map((r) => r.loadMs!));
    const pauseMs = Math.max(...probed.map((r) => r.longestWaitMs!));
    const lines = [
      `Gateway processes at rest (${REST_MS / 1000} s after the load), without lists and with ` +
      `the ${DOMAINS.toLocaleString("en")}-domain bench list read from a file; medians of ` +
      `${ROUNDS} alternating rounds, Deno ${Deno.version.deno}.`,
      "",
      "| gateway | RSS MiB | anonymous MiB | file-backed MiB |",
      "| --- | ---: | ---: | ---: |",
      `| without lists | ${mib(rss.bare)} | ${mib(anon.bare)} | ${mib(file.bare)} |`,
      `| with the 1M list | ${mib(rss.listed)} | ${mib(anon.listed)} | ${mib(file.listed)} |`,
      "",
      `- RSS per listed domain: ${perDomain.toFixed(1)} B (${
        verdict(
          perDomain <= MAX_BYTES_PER_DOMAIN,
        )
      } ≤ ${MAX_BYTES_PER_DOMAIN}); anonymous memory only: ${anonPerDomain.toFixed(1)} B ` +
      `(${verdict(anonPerDomain <= MAX_BYTES_PER_DOMAIN)}). The rest is the deno binary's code ` +
      "pages, run for the first time by the load (the optimizing compiler among them): shared " +
      "with every Deno process, clean, and paged in by any gateway that answers for a while.",
      `- Load (fetch, parse, build, as the gateway reports it): median ${loadMs} ms ` +
      `(${verdict(loadMs <= MAX_LOAD_MS)} ≤ ${MAX_LOAD_MS} ms); each round: ` +
      `${listed.map((r) => r.loadMs).join(", ")} ms.`,
      `- Longest wait for /health while the list loaded: ${pauseMs.toFixed(0)} ms ` +
      `(${verdict(pauseMs <= MAX_PAUSE_MS)} ≤ ${MAX_PAUSE_MS} ms; the worst of the rounds, each ` +
      `on a gateway of its own asked from its start on).`,
      `- WORKERS=${WORKERS} with the list, once each worker has loaded it: RSS of all the ` +
      `workers ${mib(workers.rss)} MiB, proportional (PSS) ${mib(workers.pss)} MiB, against ` +
      `${WORKERS} × one gateway without lists + the list's store once ` +
      `(${WORKERS} × ${mib(rss.bare)} + ${mib(store)}) = ${mib(WORKERS * rss.bare + store)} MiB ` +
      `(${verdict(workers.rss <= WORKERS * rss.bare + store)}): each worker still loads the ` +
      "list itself.",
      "",
    ];
    await saveResults("list_rss.md", lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

await main();
