/**
 * Cached DoH with WORKERS=1 against WORKERS=2, in one run (`deno task bench:workers`): two
 * gateways (one of each, knot behind both, the answer cached in every worker first) measured in
 * alternating rounds by h2load over HTTPS with HTTP/2 GET, nothing pinned — the point is to let
 * the workers use every core. Median req/s of each, and the ratio 2/1. On this project's 2-core
 * machine h2load needs a core too, so the figure is noisy and understates what more cores give.
 * Writes the table to bench/results/workers_doh.md.
 *
 * env: BENCH_REQUESTS (default 30000 per round), BENCH_CLIENTS (default 16), BENCH_ROUNDS (5).
 */
import { RType } from "../dns/mod.ts";
import { saveResults } from "./floor.ts";
import { h2load } from "./h2load.ts";
import { type LoadResult, median } from "./load_round.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { type Gateway, startGateway } from "../tests/support/gateway.ts";
import { startKnot } from "../tests/support/knot.ts";
import { freePort } from "../tests/support/ports.ts";
import { TEST_ZONE } from "../tests/support/test_zone.ts";
import { makeCertificate } from "../tests/support/tls.ts";

const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 30_000);
const CLIENTS = Number(Deno.env.get("BENCH_CLIENTS") ?? 16);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "bench-workers-" });
  const cert = await makeCertificate(dir);
  const dns = makeQuery(`www.${TEST_ZONE}`, RType.A)
    .toBase64({ alphabet: "base64url", omitPadding: true });
  const knot = await startKnot();
  const start = (workers: number) =>
    startGateway({
      env: {
        // One load generator is one client address: the per-client limit would cap the bench.
        DOH_RATE: "0",
        WORKERS: String(workers),
        HTTP_PORT: String(freePort()),
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        TLS_CERT: cert.certFile,
        TLS_KEY: cert.keyFile,
      },
      permissions: [`--allow-run=${Deno.execPath()}`],
      stdout: "null",
    });
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
  try {
    // A warm-up round each: every worker's cache holds the answer, TLS sessions are made.
    for (const [, gateway] of gateways) await h2load(args(gateway), null);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [workers, gateway] of gateways) {
        results.get(workers)!.push(await h2load(args(gateway), null));
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
  ].join("\n");
  await saveResults("workers_doh.md", table);
}

await main();

function meanMs(result: LoadResult): number {
  return result.latenciesMs.reduce((sum, ms) => sum + ms, 0) /
    Math.max(1, result.latenciesMs.length);
}
