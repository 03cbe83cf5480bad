/**
 * What knowing who asks costs a cached DoH answer, in process (`deno task bench:profiles-speed`):
 * the DoH door's fast path (routes/doh_door.ts) over the real resolver, chain, cache and answer
 * memo, a knot upstream answering the first query, against a Request made anew each time, with
 * no directory, with the 100-profile, 10,000-client directory of `bench:all` asked by address,
 * and asked by ClientID (`/dns-query/device-4242`), GET and POST. Runs alternate in rounds and
 * the medians are reported; the HTTP stack, the same for all, is not in it, so the difference is
 * the door's and the pipeline's own. Writes bench/results/profiles_speed.md.
 */
import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
import { safeSearchStage } from "../blocklist/safe_search.ts";
import { AnswerCache } from "../cache/answer_cache.ts";
import { Directory } from "../clients/directory.ts";
import { parseProfilesFile } from "../clients/profiles_file.ts";
import { RType } from "../dns/mod.ts";
import { createQueryLog } from "../observe/query_log.ts";
import { AnswerMemo } from "../pipeline/answer_memo.ts";
import { buildChain } from "../pipeline/chain.ts";
import type { ClientDirectory } from "../pipeline/profile.ts";
import { Resolver } from "../pipeline/resolver.ts";
import { DohDoor } from "../routes/doh_door.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { startKnot } from "../tests/support/knot.ts";
import { poolOf } from "../tests/support/profiles.ts";
import {
  BENCH_CLIENT_ID,
  BENCH_ZONE,
  benchZoneText,
  CACHED_NAME,
  dohGetPath,
  writeProfiles,
} from "./bench_zone.ts";

const REQUESTS = 100_000;
const ROUNDS = 7;

const knot = await startKnot({ zoneText: benchZoneText(), origin: BENCH_ZONE });
const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
const dir = await Deno.makeTempDir({ prefix: "bench-profiles-speed-" });
const profilesText = await Deno.readTextFile(await writeProfiles(dir, "bench"));
const doc = parseProfilesFile(profilesText, "profiles.yaml", {
  blocklists: ["bench"],
  allowlists: [],
  udpAvailable: true,
});
const blocklist = new MemoryBlocklist();
await blocklist.load([{ name: "bench", block: [`blocked.${BENCH_ZONE}`], allow: [] }]);

/** A DoH door as main.ts makes one: chain, cache, memo, a query log kept in memory. */
function door(directory: ClientDirectory | undefined): DohDoor {
  const cache = new AnswerCache();
  const stages = buildChain({
    forward: { pool, forwardClientSubnet: false },
    blocklist: { blocklist, answer: { response: "nxdomain", ttl: 60 }, failMode: "open" },
    cache: { cache, prefetchHits: 0, refreshTimeoutMs: 1000 },
    safeSearch: directory && safeSearchStage,
  });
  const memo = new AnswerMemo();
  memo.dependOn(blocklist);
  memo.dependOn(cache);
  const log = createQueryLog({ toStdout: false, capacity: 1000 });
  const resolver = new Resolver({ stages, queryTimeoutMs: 2000, log, memo, directory });
  return new DohDoor({ resolver, directory });
}

const remote: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };
const base = "https://127.0.0.1:8443";
const body = makeQuery(CACHED_NAME, RType.A);
const cases: { label: string; door: DohDoor; request: () => Request }[] = [];
for (
  const [method, make] of [
    ["GET", (path: string) => () => new Request(`${base}${path}`)],
    ["POST", (path: string) => () =>
      new Request(`${base}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/dns-message",
          "content-length": String(body.length),
        },
        body,
      })],
  ] as const
) {
  const path = (clientId?: string) =>
    method === "GET"
      ? dohGetPath(CACHED_NAME, false, clientId)
      : `/dns-query${clientId ? `/${clientId}` : ""}`;
  cases.push(
    { label: `${method}, no profiles`, door: door(undefined), request: make(path()) },
    {
      label: `${method}, profiles, by address`,
      door: door(new Directory(doc, false)),
      request: make(path()),
    },
    {
      label: `${method}, profiles, ClientID`,
      door: door(new Directory(doc, false)),
      request: make(path(BENCH_CLIENT_ID)),
    },
  );
}

async function run(test: (typeof cases)[number], count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const response = await test.door.take(test.request(), remote)!;
    if (response.status !== 200) throw new Error(`${test.label}: HTTP ${response.status}`);
    await response.arrayBuffer();
  }
  return (performance.now() - started) * 1000 / count;
}

for (const test of cases) await run(test, 20_000);
const times = new Map(cases.map((test) => [test.label, [] as number[]]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  for (const test of order) times.get(test.label)!.push(await run(test, REQUESTS));
}
pool.close();
await knot.stop();
await Deno.remove(dir, { recursive: true });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
const lines = [
  `Profiles' cost to a cached DoH answer, in process, ${new Date().toISOString().slice(0, 16)}Z, ` +
  `Deno ${Deno.version.deno}: the DoH door's fast path over the real resolver, cache and memo ` +
  `(a Request made each time, the response read), ${REQUESTS.toLocaleString("en")} requests a ` +
  `run, ${ROUNDS} rounds alternating; medians. Profiles: 100 profiles, 10,000 clients.`,
  "",
  "| case | µs per request | more than without profiles, µs |",
  "| --- | ---: | ---: |",
];
for (const method of ["GET", "POST"]) {
  const plain = median(times.get(`${method}, no profiles`)!);
  for (const test of cases.filter((c) => c.label.startsWith(method))) {
    const us = median(times.get(test.label)!);
    const more = test.label.endsWith("no profiles") ? "" : (us - plain).toFixed(2);
    lines.push(`| ${test.label} | ${us.toFixed(2)} | ${more} |`);
  }
}
lines.push("");
const table = lines.join("\n");
console.log(table);
await Deno.writeTextFile(new URL("results/profiles_speed.md", import.meta.url), table);
