/**
 * Cached DNS-over-UDP throughput against the runtime floor, in one run
 * (`deno task bench:udp`): the gateway's UDP door (answer cached, knot behind it, no rate
 * limit) and bench/floor_udp.ts (one Deno socket sending a fixed answer of the same bytes),
 * each pinned to CPU 0, driven by dnsperf on CPU 1. Three rounds each, median queries per
 * second, and the ratio gateway/floor (target ≥ 0.9). Writes the table to bench/results/.
 *
 * env: BENCH_SECONDS (default 10 per round), BENCH_OUTSTANDING (dnsperf -q, default 100),
 * BENCH_GATEWAY_ENV (JSON of more gateway settings, e.g. '{"LOG_QUERIES":"off"}').
 */
import { RType } from "../dns/mod.ts";
import { median, ROUNDS, saveResults, startFloor } from "./floor.ts";
import { doorPort, udpExchange } from "../tests/support/dns_clients.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { startKnot } from "../tests/support/knot.ts";
import { freePort } from "../tests/support/ports.ts";
import { TEST_ZONE } from "../tests/support/test_zone.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 10);
const OUTSTANDING = Number(Deno.env.get("BENCH_OUTSTANDING") ?? 100);

interface Round {
  qps: number;
  lost: number;
  latencyMs: number;
}

async function dnsperf(port: number, queryFile: string): Promise<Round> {
  const output = await new Deno.Command("taskset", {
    args: [
      ...["-c", "1", "dnsperf", "-s", "127.0.0.1", "-p", String(port), "-d", queryFile],
      ...["-l", String(SECONDS), "-q", String(OUTSTANDING), "-c", "4"],
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout((SECONDS + 30) * 1000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const qps = /Queries per second:\s+([\d.]+)/.exec(text);
  const lost = /Queries lost:\s+(\d+)/.exec(text);
  const latency = /Average Latency \(s\):\s+([\d.]+)/.exec(text);
  if (!qps || !lost || !latency) {
    throw new Error(
      `dnsperf output not understood:\n${text}\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return { qps: Number(qps[1]), lost: Number(lost[1]), latencyMs: Number(latency[1]) * 1000 };
}

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "bench-udp-" });
  const queryFile = `${dir}/queries.txt`;
  await Deno.writeTextFile(queryFile, `www.${TEST_ZONE} A\n`);

  const knot = await startKnot();
  const gateway = await startGateway({
    env: {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      UDP_PORT: "0",
      UDP_RATE: "0",
      ...JSON.parse(Deno.env.get("BENCH_GATEWAY_ENV") ?? "{}"),
    },
    cpu: 0,
    stdout: "null",
  });
  const port = doorPort(gateway, "UDP");
  // The first query fills the cache, and its answer is the floor's fixed answer.
  const [answer] = await udpExchange(port, [makeQuery(`www.${TEST_ZONE}`, RType.A)]);

  const floorPort = freePort("udp");
  const floor = await startFloor("floor_udp.ts", ["--unstable-net", "--allow-net", "--allow-env"], {
    PORT: String(floorPort),
    ANSWER_BASE64: answer.toBase64(),
  });

  const results: Record<"gateway" | "floor", Round[]> = { gateway: [], floor: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      results.gateway.push(await dnsperf(port, queryFile));
      results.floor.push(await dnsperf(floorPort, queryFile));
    }
  } finally {
    await floor.stop();
    await gateway.stop();
    await knot.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const g = median(results.gateway.map((r) => r.qps));
  const f = median(results.floor.map((r) => r.qps));
  const gl = median(results.gateway.map((r) => r.latencyMs));
  const fl = median(results.floor.map((r) => r.latencyMs));
  const lost = [...results.gateway, ...results.floor].reduce((sum, r) => sum + r.lost, 0);
  console.error(
    `gateway ${g.toFixed(0)} q/s, floor ${f.toFixed(0)} q/s, ratio ${(g / f).toFixed(2)}`,
  );

  const table = [
    `Cached DNS-over-UDP answers, ${
      new Date().toISOString().slice(0, 10)
    }, Deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} CPUs; server on CPU 0, dnsperf on CPU 1 (4 sockets, ` +
    `${OUTSTANDING} outstanding); ${SECONDS} s × ${ROUNDS} rounds each, medians.`,
    "",
    "| case | gateway q/s | floor q/s | gateway/floor | gateway mean ms | floor mean ms | lost |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| UDP, cached A | ${g.toFixed(0)} | ${f.toFixed(0)} | ${(g / f).toFixed(2)} | ${
      gl.toFixed(2)
    } | ${fl.toFixed(2)} | ${lost} |`,
    "",
  ].join("\n");
  await saveResults("cached_udp.md", table);
}

await main();
