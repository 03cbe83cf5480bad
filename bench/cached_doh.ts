/**
 * Cached DoH throughput against the runtime floor, measured in one run (`deno task bench:doh`):
 * the gateway (answer cached, knot behind it) and bench/floor_doh.ts (a bare Deno.serve with a
 * fixed answer of the same size) each pinned to CPU 0, driven by h2load on CPU 1 over HTTPS
 * with HTTP/2 (GET and POST) and HTTP/1.1 (GET). Three rounds per case, median req/s, and the
 * ratio gateway/floor (target ≥ 0.9). Writes the table to bench/results/.
 *
 * env: BENCH_REQUESTS (default 20000 per round), BENCH_CLIENTS (default 16).
 */
import { RType } from "../dns/mod.ts";
import { median, ROUNDS, saveResults, startFloor } from "./floor.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { startKnot } from "../tests/support/knot.ts";
import { freePort } from "../tests/support/ports.ts";
import { TEST_ZONE } from "../tests/support/test_zone.ts";
import { makeCertificate } from "../tests/support/tls.ts";

const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 20_000);
const CLIENTS = Number(Deno.env.get("BENCH_CLIENTS") ?? 16);

interface Round {
  rps: number;
  meanMs: number;
  failed: number;
}

interface Case {
  label: string;
  args: (base: string) => string[];
}

async function h2load(args: string[]): Promise<Round> {
  const output = await new Deno.Command("taskset", {
    args: ["-c", "1", "h2load", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(text);
  const failed = /requests: .* (\d+) failed, (\d+) errored/.exec(text);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(text);
  if (!rps || !failed || !mean) {
    throw new Error(
      `h2load output not understood:\n${text}\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const unit = { us: 0.001, ms: 1, s: 1000 }[mean[2] as "us" | "ms" | "s"];
  return {
    rps: Number(rps[1]),
    meanMs: Number(mean[1]) * unit,
    failed: Number(failed[1]) + Number(failed[2]),
  };
}

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "bench-doh-" });
  const cert = await makeCertificate(dir);
  const query = makeQuery(`www.${TEST_ZONE}`, RType.A);
  const queryFile = `${dir}/query.bin`;
  await Deno.writeFile(queryFile, query);
  const dns = query.toBase64({ alphabet: "base64url", omitPadding: true });

  const knot = await startKnot();
  const gateway = await startGateway({
    env: {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      TLS_CERT: cert.certFile,
      TLS_KEY: cert.keyFile,
      // One client address asks for all: the per-client limit would measure itself.
      DOH_RATE: "0",
    },
    cpu: 0,
    stdout: "null",
  });
  const client = Deno.createHttpClient({ caCerts: [cert.cert] });
  const warm = await fetch(`https://localhost:${gateway.port}/dns-query?dns=${dns}`, { client });
  const answer = new Uint8Array(await warm.arrayBuffer());
  client.close();

  const floorPort = freePort();
  const floor = await startFloor("floor_doh.ts", ["--allow-net", "--allow-read", "--allow-env"], {
    PORT: String(floorPort),
    TLS_CERT: cert.certFile,
    TLS_KEY: cert.keyFile,
    ANSWER_BASE64: answer.toBase64(),
  });

  const common = ["-n", String(REQUESTS), "-c", String(CLIENTS)];
  const cases: Case[] = [
    { label: "h2 TLS GET", args: (base) => [...common, "-m", "8", `${base}/dns-query?dns=${dns}`] },
    {
      label: "h2 TLS POST",
      args: (base) => [
        ...common,
        "-m",
        "8",
        "-d",
        queryFile,
        "-H",
        "content-type: application/dns-message",
        `${base}/dns-query`,
      ],
    },
    {
      label: "HTTP/1.1 TLS GET",
      args: (base) => [...common, "--h1", `${base}/dns-query?dns=${dns}`],
    },
  ];

  const rows: string[] = [];
  try {
    for (const { label, args } of cases) {
      const results: Record<"gateway" | "floor", Round[]> = { gateway: [], floor: [] };
      for (let round = 0; round < ROUNDS; round++) {
        results.gateway.push(await h2load(args(`https://127.0.0.1:${gateway.port}`)));
        results.floor.push(await h2load(args(`https://127.0.0.1:${floorPort}`)));
      }
      const g = median(results.gateway.map((r) => r.rps));
      const f = median(results.floor.map((r) => r.rps));
      const gm = median(results.gateway.map((r) => r.meanMs));
      const fm = median(results.floor.map((r) => r.meanMs));
      const failed = [...results.gateway, ...results.floor].reduce((sum, r) => sum + r.failed, 0);
      rows.push(
        `| ${label} | ${g.toFixed(0)} | ${f.toFixed(0)} | ${(g / f).toFixed(2)} | ${
          gm.toFixed(2)
        } | ${fm.toFixed(2)} | ${failed} |`,
      );
      console.error(
        `${label}: gateway ${g.toFixed(0)} req/s, floor ${f.toFixed(0)} req/s, ratio ${
          (g / f).toFixed(2)
        }`,
      );
    }
  } finally {
    await floor.stop();
    await gateway.stop();
    await knot.stop();
    await Deno.remove(dir, { recursive: true });
  }

  const table = [
    `Cached DoH answers, ${new Date().toISOString().slice(0, 10)}, Deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} CPUs; server on CPU 0, h2load on CPU 1; ${REQUESTS} requests × ` +
    `${ROUNDS} rounds per case, ${CLIENTS} clients, medians.`,
    "",
    "| case | gateway req/s | floor req/s | gateway/floor | gateway mean ms | floor mean ms | failed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ].join("\n");
  await saveResults("cached_doh.md", table);
}

await main();
