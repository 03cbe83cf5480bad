/**
 * What profiles cost in memory (`deno task bench:profiles`): the default two lists' sizes
 * (synthetic: 150,000 and 250,000 domains) loaded once in the memory store, then the heap with
 * one profile, with 100 profiles (each its own choice of lists, 20 block and 5 allow entries,
 * half with safe search), and with 10,000 clients mapped to them, every profile having answered
 * a query (so each has made what the stages keep of it). Target: 100 profiles ≤ 2 MiB more than
 * one. Writes bench/results/profiles_memory.md.
 */
import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
import { Directory } from "../clients/directory.ts";
import { checkPolicy } from "../clients/spec.ts";
import { RType } from "../dns/mod.ts";
import { createQueryLog } from "../observe/query_log.ts";
import { safeSearchStage } from "../blocklist/safe_search.ts";
import { buildChain } from "../pipeline/chain.ts";
import type { ClientDirectory } from "../pipeline/profile.ts";
import { Resolver } from "../pipeline/resolver.ts";
import { makeQuery } from "../tests/support/dns_query.ts";

const LISTS = { stevenblack: 150_000, "hagezi-pro": 250_000 };
const PROFILES = 100;
const CLIENTS = 10_000;
const TARGET_BYTES = 2 * 1024 * 1024;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function heap(): number {
  gc();
  gc();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

const blocklist = new MemoryBlocklist();
await blocklist.load(
  Object.entries(LISTS).map(([name, count]) => ({
    name,
    block: Array.from({ length: count }, (_, i) => `d${i.toString(36)}.${name}.example`),
    allow: [],
  })),
);
const context = { blocklists: Object.keys(LISTS), allowlists: [], udpAvailable: true };
const pool = { resolve: () => Promise.reject(new Error("no upstream in this bench")) };

/** Profiles p0…p(n-1), each with lists, own entries and safe search of its own. */
function profiles(n: number): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, {
    blocklists: i % 3 === 0 ? ["stevenblack"] : i % 3 === 1 ? ["hagezi-pro"] : undefined,
    block: Array.from({ length: 20 }, (_, j) => `own${j}.p${i}.example`),
    allow: Array.from({ length: 5 }, (_, j) => `ok${j}.p${i}.example`),
    safe_search: i % 2 === 0,
  }]));
}

function clients(n: number, profileCount: number): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`device ${i}`, {
    profile: `p${i % profileCount}`,
    ids: [`device-${i}`],
    ...(i % 10 === 0 ? { addresses: [`10.${i >> 8}.${i & 255}.0/24`] } : {}),
  }]));
}

/**
 * The heap once a resolver with `directory` has answered one blocked query for each of
 * `ids` (a ClientID per profile), the resolver and its directory held.
 */
async function heapWith(directory: ClientDirectory, ids: string[]): Promise<number> {
  const stages = buildChain({
    forward: { pool, forwardClientSubnet: false },
    blocklist: { blocklist, answer: { response: "nxdomain", ttl: 60 }, failMode: "open" },
    safeSearch: safeSearchStage,
  });
  const log = createQueryLog({ toStdout: false, capacity: 1000 });
  const resolver = new Resolver({ stages, queryTimeoutMs: 1000, log, directory });
  const query = makeQuery("d1.stevenblack.example", RType.A);
  for (const id of ids) {
    await resolver.resolve(query, { address: "192.0.2.1", door: "doh", clientId: id });
  }
  const bytes = heap();
  // Kept alive until measured.
  if (resolver === undefined) throw new Error("unreachable");
  return bytes;
}

const oneIds = ["device-0"];
const oneDoc = checkPolicy({ profiles: profiles(1), clients: clients(1, 1) }, context);
const base = heap();
const withOne = await heapWith(new Directory(oneDoc, false), oneIds);
const hundredDoc = checkPolicy({
  profiles: profiles(PROFILES),
  clients: clients(PROFILES, PROFILES),
}, context);
const hundredIds = Array.from({ length: PROFILES }, (_, i) => `device-${i}`);
const withHundred = await heapWith(new Directory(hundredDoc, false), hundredIds);
const clientsDoc = checkPolicy({
  profiles: profiles(PROFILES),
  clients: clients(CLIENTS, PROFILES),
}, context);
const withClients = await heapWith(new Directory(clientsDoc, false), hundredIds);

const profilesCost = withHundred - withOne;
const clientsCost = withClients - withHundred;
const lines = [
  `Profiles in memory, ${new Date().toISOString().slice(0, 16)}Z, Deno ${Deno.version.deno}; ` +
  `lists: ${Object.entries(LISTS).map(([n, c]) => `${n} ${c.toLocaleString("en")}`).join(", ")} ` +
  `domains (synthetic), loaded once; heap = heapUsed + external after gc(), each profile having answered a query.`,
  "",
  "| configuration | heap MiB | more than one profile, MiB |",
  "| --- | ---: | ---: |",
  `| lists alone | ${mib(base)} | |`,
  `| 1 profile, 1 client | ${mib(withOne)} | 0 |`,
  `| ${PROFILES} profiles, ${PROFILES} clients | ${mib(withHundred)} | ${mib(profilesCost)} |`,
  `| ${PROFILES} profiles, ${CLIENTS.toLocaleString("en")} clients | ${mib(withClients)} | ${
    mib(withClients - withOne)
  } |`,
  "",
  `${PROFILES} profiles cost ${mib(profilesCost)} MiB more than one (target ≤ 2 MiB): ${
    profilesCost <= TARGET_BYTES ? "PASS" : "FAIL"
  }; ${CLIENTS.toLocaleString("en")} clients add ${mib(clientsCost)} MiB (${
    (clientsCost / CLIENTS).toFixed(0)
  } bytes per client).`,
  "",
];
const table = lines.join("\n");
console.log(table);
await Deno.writeTextFile(new URL("results/profiles_memory.md", import.meta.url), table);
