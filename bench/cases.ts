/**
 * The load the harness puts on each server: cached answers, a miss-heavy mix (names under the
 * zone's wildcard that no one asked before) and blocked names, over DoH (h2load: HTTP/2 and
 * HTTP/1.1, TLS and plain, GET and POST) and UDP (dnsperf). Each case is bounded in count and
 * time, and says which process answers it on each server.
 */
import { RType } from "../dns/mod.ts";
import {
  BENCH_CLIENT_ID,
  BENCH_CLIENTS,
  BENCH_PROFILES,
  BLOCKED_NAME,
  CACHED_NAME,
  CHAIN_NAME,
  dohGetPath,
  missNames,
} from "./bench_zone.ts";
import { dnsperf } from "./dnsperf.ts";
import { h2load } from "./h2load.ts";
import type { LoadResult } from "./load_round.ts";
import type { Server } from "./stack.ts";
import { makeQuery } from "../tests/support/dns_query.ts";

export interface Case {
  label: string;
  /** Rounds of it (servers alternating): DoH rounds are short, UDP ones take seconds. */
  rounds: number;
  /** A miss: measured against the forward floor (bench/floor_forward.ts), not fixed bytes. */
  forwardFloor?: boolean;
  /** The process that answers this case on `server` (for its CPU time). */
  pid(server: Server): number;
  run(server: Server, round: number): Promise<LoadResult>;
}

export interface CaseOptions {
  dir: string;
  /** DoH requests per round (cached and blocked cases). */
  requests: number;
  /** Unique names per round in the miss-heavy cases. */
  misses: number;
  /** Seconds per UDP round. */
  seconds: number;
}

const CLIENTS = 16;
const H2_STREAMS = 8;
const UDP_OUTSTANDING = 100;
/** DoH rounds: ~1 s each; more of them steady the ratios on a shared machine. */
export const DOH_ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 9);
/** UDP rounds: BENCH_SECONDS each. */
export const UDP_ROUNDS = 3;

export async function benchCases(options: CaseOptions): Promise<Case[]> {
  const { dir, requests } = options;
  const postFile = `${dir}/query.bin`;
  await Deno.writeFile(postFile, makeQuery(CACHED_NAME, RType.A));
  const common = ["-n", String(requests), "-c", String(CLIENTS)];
  const h2 = [...common, "-m", String(H2_STREAMS)];
  const h1 = [...common, "--h1"];
  const post = ["-d", postFile, "-H", "content-type: application/dns-message"];
  const tls = (s: Server) => s.pid;
  const plain = (s: Server) => s.httpPid;
  const udp = (s: Server) => s.udpPid;

  /** A file of DoH URIs for names no server was asked before. */
  const missUris = async (server: Server, round: number) => {
    const file = `${dir}/miss-${server.name}-${round}.txt`;
    const names = missNames(`h${server.name}${round}`, options.misses);
    await Deno.writeTextFile(file, names.map((n) => server.https + dohGetPath(n)).join("\n"));
    return file;
  };
  const queryFile = async (name: string, lines: string[]) => {
    const file = `${dir}/${name}.txt`;
    await Deno.writeTextFile(file, lines.map((n) => `${n} A`).join("\n") + "\n");
    return file;
  };
  const cachedFile = await queryFile("cached", [CACHED_NAME]);
  const blockedFile = await queryFile("blocked", [BLOCKED_NAME]);
  const chainFile = await queryFile("chain", [CHAIN_NAME]);
  const udpLoad = (server: Server, file: string, passes?: number) =>
    dnsperf({
      port: server.udpPort,
      queryFile: file,
      seconds: options.seconds,
      passes,
      outstanding: UDP_OUTSTANDING,
    });

  return [
    {
      label: "cached, h2 TLS GET",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, s.https + dohGetPath(CACHED_NAME)]),
    },
    {
      // What browsers send; the gateway pads its answer to 468 bytes (the floor's stays small).
      label: "cached, h2 TLS GET, padded",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, s.https + dohGetPath(CACHED_NAME, true)]),
    },
    {
      label: "cached, h2 TLS POST",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, ...post, `${s.https}/dns-query`]),
    },
    {
      // A device with its own URL, one of BENCH_CLIENTS clients in BENCH_PROFILES profiles.
      label: `cached, h2 TLS GET, ClientID (${BENCH_PROFILES} profiles, ${BENCH_CLIENTS} clients)`,
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, s.https + dohGetPath(CACHED_NAME, false, BENCH_CLIENT_ID)]),
    },
    {
      label: `cached, h2 TLS POST, ClientID (${BENCH_PROFILES} profiles, ${BENCH_CLIENTS} clients)`,
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, ...post, `${s.https}/dns-query/${BENCH_CLIENT_ID}`]),
    },
    {
      // Every answer of it checked for CNAME cloaking: three targets against the 1M-domain list.
      label: "cached, h2 TLS GET, 3-CNAME chain",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, s.https + dohGetPath(CHAIN_NAME)]),
    },
    {
      label: "cached, HTTP/1.1 TLS GET",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h1, s.https + dohGetPath(CACHED_NAME)]),
    },
    {
      // Chromium asks by POST, and HTTP/1.1 is what many stub clients and proxies speak.
      label: "cached, HTTP/1.1 TLS POST",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h1, ...post, `${s.https}/dns-query`]),
    },
    {
      label: "cached, h2c GET",
      rounds: DOH_ROUNDS,
      pid: plain,
      run: (s) => h2load([...h2, s.http + dohGetPath(CACHED_NAME)]),
    },
    {
      label: "cached, HTTP/1.1 GET",
      rounds: DOH_ROUNDS,
      pid: plain,
      run: (s) => h2load([...h1, s.http + dohGetPath(CACHED_NAME)]),
    },
    {
      label: "cached, HTTP/1.1 POST",
      rounds: DOH_ROUNDS,
      pid: plain,
      run: (s) => h2load([...h1, ...post, `${s.http}/dns-query`]),
    },
    {
      // One connection: h2load walks its URI list from the top for every client, so more
      // clients would ask the same names again.
      label: "miss, h2 TLS GET",
      rounds: DOH_ROUNDS,
      forwardFloor: true,
      pid: tls,
      run: async (s, round) =>
        h2load([
          ...["-n", String(options.misses), "-c", "1", "-m", String(CLIENTS)],
          ...["-i", await missUris(s, round)],
        ]),
    },
    {
      label: "blocked, h2 TLS GET",
      rounds: DOH_ROUNDS,
      pid: tls,
      run: (s) => h2load([...h2, s.https + dohGetPath(BLOCKED_NAME)]),
    },
    { label: "cached, UDP", rounds: UDP_ROUNDS, pid: udp, run: (s) => udpLoad(s, cachedFile) },
    {
      // No answer memo over UDP: each answer's three targets are checked every time.
      label: "cached, UDP, 3-CNAME chain",
      rounds: UDP_ROUNDS,
      pid: udp,
      run: (s) => udpLoad(s, chainFile),
    },
    {
      label: "miss, UDP",
      rounds: UDP_ROUNDS,
      forwardFloor: true,
      pid: udp,
      run: async (s, round) =>
        udpLoad(
          s,
          await queryFile(
            `miss-udp-${s.name}-${round}`,
            missNames(`u${s.name}${round}`, options.misses * 4),
          ),
          1,
        ),
    },
    { label: "blocked, UDP", rounds: UDP_ROUNDS, pid: udp, run: (s) => udpLoad(s, blockedFile) },
    {
      // The gateway with every query stored in SQLite (HISTORY=on); the others as in the first row.
      // Last: its worker may still be writing when the row ends, which no other row should share.
      label: "cached, h2 TLS GET, history on",
      rounds: DOH_ROUNDS,
      pid: (s) => s.history?.pid ?? s.pid,
      run: (s) => h2load([...h2, (s.history?.https ?? s.https) + dohGetPath(CACHED_NAME)]),
    },
  ];
}
