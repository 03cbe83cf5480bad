/**
 * What the benchmarks ask: a zone with a wildcard (so every miss has an answer, as a real
 * upstream has), the names asked for each kind of answer, and a blocklist file that holds the
 * blocked bench names among a million others (the size of the big public lists).
 */
import { EdnsOptionCode, RType } from "../dns/mod.ts";
import { makeQuery } from "../tests/support/dns_query.ts";

export const BENCH_ZONE = "bench.test";
/** Answered from the cache after the first query. */
export const CACHED_NAME = `www.${BENCH_ZONE}`;
/** Every name under it is on the bench blocklist. */
export const BLOCKED_PARENT = `blocked.${BENCH_ZONE}`;
export const BLOCKED_NAME = `ads.${BLOCKED_PARENT}`;
/** Answered from the cache through three CNAMEs (each target checked against the lists). */
export const CHAIN_NAME = `chain1.${BENCH_ZONE}`;

export function benchZoneText(): string {
  return [
    `$ORIGIN ${BENCH_ZONE}.`,
    "$TTL 3600",
    "@ SOA ns1 hostmaster 2026120101 3600 600 86400 60",
    "@ NS ns1",
    "ns1 A 192.0.2.53",
    "www A 192.0.2.1",
    "chain1 CNAME chain2",
    "chain2 CNAME chain3",
    "chain3 CNAME www",
    "* A 192.0.2.2",
    "",
  ].join("\n");
}

/** `count` names under the wildcard no one asked before (`tag` keeps rounds apart). */
export function missNames(tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `m${i}-${tag}.${BENCH_ZONE}`);
}

/**
 * A DoH GET path for `name` (type A, ID 0, as DoH clients send); `padded`, as Firefox and
 * Chrome send it: with EDNS and a padding option that makes the query 128 bytes (RFC 8467).
 */
export function dohGetPath(name: string, padded = false, clientId?: string): string {
  const query = padded ? paddedQuery(name) : makeQuery(name, RType.A);
  const path = clientId === undefined ? "/dns-query" : `/dns-query/${clientId}`;
  return `${path}?dns=${query.toBase64({ alphabet: "base64url", omitPadding: true })}`;
}

/** Profiles and clients of the bench gateway: a household or a school, a hundredfold. */
export const BENCH_PROFILES = 100;
export const BENCH_CLIENTS = 10_000;
/** The ClientID the ClientID rows ask with (its profile takes one list, and has entries). */
export const BENCH_CLIENT_ID = "device-4242";

/**
 * Writes a profiles file of BENCH_PROFILES profiles (each its own list choice and entries) and
 * BENCH_CLIENTS clients, each with a ClientID and one in ten with an address range (none
 * holding the load generator's address); returns its path.
 */
export async function writeProfiles(dir: string, list: string): Promise<string> {
  const lines = ["profiles:"];
  for (let i = 0; i < BENCH_PROFILES; i++) {
    lines.push(`  p${i}:`);
    if (i % 2 === 0) lines.push(`    blocklists: [${list}]`);
    lines.push(
      `    block: [${Array.from({ length: 20 }, (_, j) => `own${j}.p${i}.example`).join(", ")}]`,
    );
    lines.push(`    allow: [ok.p${i}.example]`);
    if (i % 4 === 0) lines.push("    safe_search: true");
  }
  lines.push("clients:");
  for (let i = 0; i < BENCH_CLIENTS; i++) {
    lines.push(`  device ${i}:`, `    profile: p${i % BENCH_PROFILES}`, `    ids: [device-${i}]`);
    if (i % 10 === 0) lines.push(`    addresses: [10.${i >> 8}.${i & 255}.0/24]`);
  }
  const path = `${dir}/profiles.yaml`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

const QUERY_PAD_BLOCK = 128;

function paddedQuery(name: string): Uint8Array {
  const bare = makeQuery(name, RType.A, { edns: { options: [] } }).length + 4;
  const fill = (QUERY_PAD_BLOCK - bare % QUERY_PAD_BLOCK) % QUERY_PAD_BLOCK;
  return makeQuery(name, RType.A, {
    edns: { options: [{ code: EdnsOptionCode.PADDING, data: new Uint8Array(fill) }] },
  });
}

/**
 * Writes a domain list of `count` domains (the blocked bench parent first) and returns its
 * path: what a user with a big public list configures.
 */
export async function writeBlocklist(dir: string, count: number): Promise<string> {
  const lines = [BLOCKED_PARENT];
  for (let i = 1; i < count; i++) lines.push(`h${i.toString(36)}.list${i % 997}.example`);
  const path = `${dir}/blocklist.txt`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}
