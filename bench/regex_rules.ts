/**
 * What 10,000 regex rules cost a blocked or cached DoH answer, in process (`deno task
 * bench:regex`): the DoH door's fast path over the real resolver, chain, cache and answer memo,
 * a knot upstream answering the first query of each name, with the bench list alone and with
 * the bench list and a list of 10,000 `/regex/` rules (none matching the names asked, as most
 * queries match none). Two kinds of request: one name asked again and again (the answer memo's
 * case), and names that do not repeat within the rule book's per-name table (every request runs
 * the regex index). Runs alternate in rounds and the medians are reported, with the ratio to the
 * same case without regexes. Writes bench/results/regex_rules.md.
 */
import type { LoadedList } from "../blocklist/blocklist.ts";
import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
import { loadRuleParser, parseList } from "../blocklist/parse.ts";
import { AnswerCache } from "../cache/answer_cache.ts";
import { createQueryLog } from "../observe/query_log.ts";
import { AnswerMemo } from "../pipeline/answer_memo.ts";
import { buildChain } from "../pipeline/chain.ts";
import { Resolver } from "../pipeline/resolver.ts";
import { DohDoor } from "../routes/doh_door.ts";
import { startKnot } from "../tests/support/knot.ts";
import { poolOf } from "../tests/support/profiles.ts";
import { BENCH_ZONE, benchZoneText, BLOCKED_PARENT, dohGetPath } from "./bench_zone.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

const REGEXES = 10_000;
/** Distinct names per kind: more than the rule book keeps (4096), so each request runs the index. */
const DISTINCT = 10_000;
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 50_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);

const WORDS = [
  "ad",
  "ads",
  "track",
  "tracker",
  "metrics",
  "pixel",
  "banner",
  "beacon",
  "stats",
  "telemetry",
  "promo",
  "click",
  "serve",
  "delivery",
  "analytics",
  "collect",
  "event",
  "log",
  "tag",
  "sync",
]; // deno-fmt-ignore

/** 10,000 regexes in the shapes lists use, each with its own words and numbers. */
function regexList(): LoadedList {
  const lines: string[] = [];
  for (let i = 0; i < REGEXES; i++) {
    const a = WORDS[i % WORDS.length];
    const b = WORDS[(i * 7 + 3) % WORDS.length];
    const shape = i % 5;
    if (shape === 0) lines.push(`/^${a}[0-9]*\\.${b}${i}\\.example$/`);
    else if (shape === 1) lines.push(`/(^|\\.)${a}-${b}-${i}\\./`);
    else if (shape === 2) lines.push(`/^${b}${i}s?\\.${a}\\./`);
    else if (shape === 3) lines.push(`/${a}${i}(${b}|x)[a-z]+\\.net$/`);
    else lines.push(`/^[a-z]+${i}${a}\\.cdn${b}\\./`);
  }
  // A few without a literal to file them under: they run for every name.
  for (let i = 0; i < 20; i++) lines.push(`/^(${WORDS[i]}|x${i})\\d{3,}$/`);
  const parsed = parseList(lines.join("\n"));
  if (parsed.rules.length !== lines.length) throw new Error("the bench regexes did not parse");
  return { name: "regexes", block: [], allow: [], rules: parsed.rules };
}

const knot = await startKnot({ zoneText: benchZoneText(), origin: BENCH_ZONE });
const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
const benchList: LoadedList = { name: "bench", block: [BLOCKED_PARENT], allow: [] };

/** A DoH door as main.ts makes one, over a blocklist holding `lists`. */
async function door(lists: LoadedList[]): Promise<DohDoor> {
  const blocklist = new MemoryBlocklist();
  await blocklist.load(lists);
  const cache = new AnswerCache();
  const stages = buildChain({
    forward: { pool, forwardClientSubnet: false },
    blocklist: { blocklist, answer: { response: "nxdomain", ttl: 60 }, failMode: "open" },
    cache: { cache, prefetchHits: 0, refreshTimeoutMs: 1000 },
  });
  const memo = new AnswerMemo();
  memo.dependOn(blocklist);
  memo.dependOn(cache);
  const log = createQueryLog({ toStdout: false, capacity: 1000 });
  const resolver = new Resolver({ stages, queryTimeoutMs: 2000, log, memo });
  return new DohDoor({ resolver });
}

const remote: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };
const base = "https://127.0.0.1:8443";
const names = (parent: string) =>
  Array.from({ length: DISTINCT }, (_, i) => `${WORDS[i % WORDS.length]}${i}.${parent}`);
const cachedNames = names(`c.${BENCH_ZONE}`).map((name) => `${base}${dohGetPath(name)}`);
const blockedNames = names(BLOCKED_PARENT).map((name) => `${base}${dohGetPath(name)}`);
const kinds: [string, string[]][] = [
  ["cached, one name repeated", cachedNames.slice(0, 1)],
  ["cached, distinct names", cachedNames],
  ["blocked, one name repeated", blockedNames.slice(0, 1)],
  ["blocked, distinct names", blockedNames],
];

const doors: [string, DohDoor][] = [
  ["without regexes", await door([benchList])],
  [`with ${REGEXES.toLocaleString("en")} regexes`, await door([benchList, regexList()])],
];

async function run(gateway: DohDoor, urls: string[], count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const response = await gateway.take(new Request(urls[i % urls.length]), remote)!;
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    await response.arrayBuffer();
  }
  return (performance.now() - started) * 1000 / count;
}

// Every cached name reaches the cache once before timing.
for (const [, gateway] of doors) await run(gateway, cachedNames, cachedNames.length);
const times = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? doors : [...doors].reverse();
  for (const [kind, urls] of kinds) {
    for (const [label, gateway] of order) {
      const key = `${kind}|${label}`;
      if (!times.has(key)) times.set(key, []);
      times.get(key)!.push(await run(gateway, urls, REQUESTS));
    }
  }
}
pool.close();
await knot.stop();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
const lines = [
  `Regex rules' cost to blocked and cached DoH answers, in process, ` +
  `${new Date().toISOString().slice(0, 16)}Z, Deno ${Deno.version.deno}: the DoH door's fast ` +
  `path over the real resolver, cache and memo (a Request made each time, the response read), ` +
  `${REQUESTS.toLocaleString("en")} requests a run, ${ROUNDS} rounds alternating; medians. ` +
  `Distinct names: ${DISTINCT.toLocaleString("en")} cycled, more than the rule book keeps.`,
  "",
  `| case | µs without regexes | µs with ${REGEXES.toLocaleString("en")} regexes | ratio |`,
  "| --- | ---: | ---: | ---: |",
];
for (const [kind] of kinds) {
  const without = median(times.get(`${kind}|${doors[0][0]}`)!);
  const withRegexes = median(times.get(`${kind}|${doors[1][0]}`)!);
  lines.push(
    `| ${kind} | ${without.toFixed(2)} | ${withRegexes.toFixed(2)} | ` +
      `${(withRegexes / without).toFixed(2)}x |`,
  );
}
lines.push("");
const table = lines.join("\n");
console.log(table);
await Deno.writeTextFile(new URL("results/regex_rules.md", import.meta.url), table);
