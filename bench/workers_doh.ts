/**
 * Cached DoH and cached UDP with WORKERS=1 against WORKERS=2, in one run (`deno task
 * bench:workers`): two gateways (one of each, knot behind both, the answer cached in every
 * worker first) measured in alternating rounds, by h2load over HTTPS with HTTP/2 GET and by
 * dnsperf over UDP (from 32 source ports, which the kernel spreads over the workers' sockets),
 * nothing pinned but dnsperf — the point is to let the workers use every core. Medians of each,
 * the throughput ratio 2/1, and for UDP the server CPU per query (every worker's), whose ratio
 * 2/1 says what sharing the port costs (target: at most 1.1). On this project's 2-core machine
 * the load generator needs a core too, so throughput is noisy and understates what more cores
 * give. Writes the tables to bench/results/workers_doh.md.
 *
 * env: BENCH_REQUESTS (default 30000 per round), BENCH_CLIENTS (default 16), BENCH_ROUNDS (5),
 * BENCH_SECONDS (per UDP round, default 5).
 */
import { RType } from "../dns/mod.ts";
import { dnsperf } from "./dnsperf.ts";
import { saveResults } from "./floor.ts";
import { h2load } from "./h2load.ts";
import { type LoadResult, median } from "./load_round.ts";
import { childPids, cpuMicros } from "./proc.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { type Gateway, startGateway } from "../tests/support/gateway.ts";
import { startKnot } from "../tests/support/knot.ts";
import { freeDnsPort, freePort } from "../tests/support/ports.ts";
import { TEST_ZONE } from "../tests/support/test_zone.ts";
import { makeCertificate } from "../tests/support/tls.ts";

const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 30_000);
const CLIENTS = Number(Deno.env.get("BENCH_CLIENTS") ?? 16);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
/** dnsperf's sockets: enough source ports that both workers get a fair share. */
const UDP_SOURCES = 32;
const UDP_OUTSTANDING = 100;

interface UdpRound {
  qps: number;
  /** Every worker's CPU time per answered query, µs. */
  cpuUs: number;
  lost: number;
}
async function main() {
  const dir = await Deno.makeTempDir({ prefix: "bench-workers-" });
  const cert = await makeCertificate(dir);
  const dns = makeQuery(`www.${TEST_ZONE}`, RType.A)
    .toBase64({ alphabet: "base64url", omitPadding: true });
  const knot = await startKnot();
  const queryFile = `${dir}/cached.txt`;
  await Deno.writeTextFile(queryFile, `www.${TEST_ZONE} A\n`);
  const udpPorts = new Map<Gateway, number>();
  const start = async (workers: number) => {
    const udpPort = freeDnsPort();
    const gateway = await startGateway({
      env: {
        // One load generator is one client address: the per-client limits would cap the bench.
        DOH_RATE: "0",
        UDP_RATE: "0",
        UDP_PORT: String(udpPort),
        WORKERS: String(workers),
        HTTP_PORT: String(freePort()),
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        TLS_CERT: cert.certFile,
        TLS_KEY: cert.keyFile,
      },
      permissions: [`--allow-run=${Deno.execPath()}`],
      stdout: "null",
    });
    udpPorts.set(gateway, udpPort);
    return gateway;
  };
  const udpRound = async (gateway: Gateway, seconds: number): Promise<UdpRound> => {
    const pids = [gateway.pid, ...await childPids(gateway.pid)];
    const cpu = async () => (await Promise.all(pids.map(cpuMicros))).reduce((a, b) => a + b, 0);
    const before = await cpu();
    const result = await dnsperf({
      port: udpPorts.get(gateway)!,
      queryFile,
      seconds,
      outstanding: UDP_OUTSTANDING,
      clients: UDP_SOURCES,
    });
    return {
      qps: result.qps,
      cpuUs: (await cpu() - before) / Math.max(1, result.answered),
      lost: result.failed,
    };
  };
  const gateways: [number, Gateway][] = [[1, await start(1)], [2, await start(2)]];
  const args = (gateway: Gateway) => [
    "-n",
    String(REQUESTS),
    "-c",
    String(CLIENTS),
    "-m",
    "8",
    `https://127.0.0.1:${gateway.port}/dns-query?dns=${dns}`,
  ];
  const results = new Map<number, LoadResult[]>([[1, []], [2, []]]);
  const udp = new Map<number, UdpRound[]>([[1, []], [2, []]]);
  try {
    // A warm-up round each: every worker's cache holds the answer, TLS sessions are made.
    for (const [, gateway] of gateways) await h2load(args(gateway), null);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [workers, gateway] of gateways) {
        results.get(workers)!.push(await h2load(args(gateway), null));
      }
    }
    for (const [, gateway] of gateways) await udpRound(gateway, 1);
    for (let round = 0; round < ROUNDS; round++) {
      // Taking turns in both orders, so neither always runs right after the other.
      const order = round % 2 === 0 ? gateways : [...gateways].reverse();
      for (const [workers, gateway] of order) {
        udp.get(workers)!.push(await udpRound(gateway, SECONDS));
      }
    }
  } finally {
    for (const [, gateway] of gateways) await gateway.stop();
    await knot.stop();
    await Deno.remove(dir, { recursive: true });
  }

  const rps = (workers: number) => median(results.get(workers)!.map((r) => r.qps));
  const mean = (workers: number) => median(results.get(workers)!.map(meanMs));
  const failed = [...results.values()].flat().reduce((sum, r) => sum + r.failed, 0);
  const all = (workers: number) => results.get(workers)!.map((r) => r.qps.toFixed(0)).join(", ");
  const ratio = rps(2) / rps(1);
  console.error(`WORKERS=2 / WORKERS=1: ${ratio.toFixed(2)}`);
  const udpMedian = (workers: number, field: keyof UdpRound) =>
    median(udp.get(workers)!.map((round) => round[field]));
  // The ratio of CPU per query as the median of each round pair's ratio.
  const cpuRatio = median(udp.get(2)!.map((round, i) => round.cpuUs / udp.get(1)![i].cpuUs));
  const udpRatio = udpMedian(2, "qps") / udpMedian(1, "qps");
  const lost = [...udp.values()].flat().reduce((sum, round) => sum + round.lost, 0);
  const udpAll = (workers: number) =>
    udp.get(workers)!.map((r) => `${r.qps.toFixed(0)} (${r.cpuUs.toFixed(1)} µs)`).join(", ");
  console.error(
    `UDP: WORKERS=2 / WORKERS=1 ${udpRatio.toFixed(2)} qps, ${cpuRatio.toFixed(2)} CPU per query`,
  );
  const table = [
    `Cached DoH (h2 TLS GET), ${
      new Date().toISOString().slice(0, 10)
    }, Deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} CPUs shared by the gateways and h2load (nothing pinned); ` +
    `${REQUESTS} requests × ${ROUNDS} alternating rounds, ${CLIENTS} clients, medians.`,
    "",
    "| workers | req/s | mean ms | every round, req/s |",
    "| ---: | ---: | ---: | --- |",
    ...[1, 2].map((w) => `| ${w} | ${rps(w).toFixed(0)} | ${mean(w).toFixed(2)} | ${all(w)} |`),
    "",
    `WORKERS=2 / WORKERS=1: **${ratio.toFixed(2)}**; ${failed} requests failed.`,
    "",
    `Cached UDP, same gateways: dnsperf on CPU 1 from ${UDP_SOURCES} source ports, ` +
    `${UDP_OUTSTANDING} queries outstanding, ${SECONDS} s × ${ROUNDS} alternating rounds, ` +
    "medians; server CPU is every worker's.",
    "",
    "| workers | qps | server CPU µs/query | every round, qps (CPU µs/query) |",
    "| ---: | ---: | ---: | --- |",
    ...[1, 2].map((w) =>
      `| ${w} | ${udpMedian(w, "qps").toFixed(0)} | ${udpMedian(w, "cpuUs").toFixed(1)} | ${
        udpAll(w)
      } |`
    ),
    "",
    `WORKERS=2 / WORKERS=1: **${udpRatio.toFixed(2)}** qps, **${cpuRatio.toFixed(2)}** server ` +
    `CPU per query (target ≤ 1.10); ${lost} queries lost.`,
    "",
  ].join("\n");
  await saveResults("workers_doh.md", table);
}

await main();

function meanMs(result: LoadResult): number {
  return result.latenciesMs.reduce((sum, ms) => sum + ms, 0) /
    Math.max(1, result.latenciesMs.length);
}
