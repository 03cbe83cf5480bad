/**
 * Cached DoH throughput against the runtime floor, measured in one run (`deno task bench:doh`):
 * the gateway (answer cached, knot behind it) and bench/floor_doh.ts (a bare Deno.serve with a
 * fixed answer of the same size) each pinned to CPU 0, driven by h2load on CPU 1 over HTTPS
 * with HTTP/2 (GET and POST) and HTTP/1.1 (GET). Three rounds per case, median req/s, and the
 * ratio gateway/floor (target ≥ 0.9). Writes the table to bench/results/.
 *
 * Also reported: each server's CPU time per request (user + system, all its threads, from
 * /proc), the median over the rounds. On a shared 2-core machine req/s swings with whatever
 * else runs; CPU per request moves much less, so it tells a real change from noise.
 *
 * env: BENCH_REQUESTS (default 20000 per round), BENCH_CLIENTS (default 16).
 */
import { RType } from "../dns/mod.ts";
import { median, ROUNDS, saveResults, startFloor } from "./floor.ts";
import { h2load, type Round } from "./h2load.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { startKnot } from "../tests/support/knot.ts";
import { freePort } from "../tests/support/ports.ts";
import { TEST_ZONE } from "../tests/support/test_zone.ts";
import { makeCertificate } from "../tests/support/tls.ts";

const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 20_000);
const CLIENTS = Number(Deno.env.get("BENCH_CLIENTS") ?? 16);

interface Measured extends Round {
  /** Server CPU time per request, µs (NaN where /proc cannot tell). */
  cpuUs: number;
}

/** User + system CPU time of a process so far, µs (Linux /proc; NaN elsewhere). */
async function cpuMicros(pid: number): Promise<number> {
  try {
    const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
    return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** One h2load round against the server with this pid, with its CPU time per request. */
async function measured(pid: number, args: string[]): Promise<Measured> {
  const before = await cpuMicros(pid);
  const round = await h2load(args, 1);
  return { ...round, cpuUs: (await cpuMicros(pid) - before) / REQUESTS };
}

interface Case {
  label: string;
  args: (base: string) => string[];
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
      const results: Record<"gateway" | "floor", Measured[]> = { gateway: [], floor: [] };
      for (let round = 0; round < ROUNDS; round++) {
        results.gateway.push(
          await measured(gateway.pid, args(`https://127.0.0.1:${gateway.port}`)),
        );
        results.floor.push(await measured(floor.pid, args(`https://127.0.0.1:${floorPort}`)));
      }
      const g = median(results.gateway.map((r) => r.rps));
      const f = median(results.floor.map((r) => r.rps));
      const gm = median(results.gateway.map((r) => r.meanMs));
      const fm = median(results.floor.map((r) => r.meanMs));
      const gc = median(results.gateway.map((r) => r.cpuUs));
      const fc = median(results.floor.map((r) => r.cpuUs));
      const failed = [...results.gateway, ...results.floor].reduce((sum, r) => sum + r.failed, 0);
      rows.push(
        `| ${label} | ${g.toFixed(0)} | ${f.toFixed(0)} | ${(g / f).toFixed(2)} | ${
          gm.toFixed(2)
        } | ${fm.toFixed(2)} | ${gc.toFixed(1)} | ${fc.toFixed(1)} | ${
          (fc / gc).toFixed(2)
        } | ${failed} |`,
      );
      console.error(
        `${label}: gateway ${g.toFixed(0)} req/s, floor ${f.toFixed(0)} req/s, ratio ${
          (g / f).toFixed(2)
        }; CPU per request ${gc.toFixed(1)} µs vs ${fc.toFixed(1)} µs (${(fc / gc).toFixed(2)})`,
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
    "| case | gateway req/s | floor req/s | gateway/floor | gateway mean ms | floor mean ms | " +
    "gateway CPU µs/req | floor CPU µs/req | floor/gateway CPU | failed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ].join("\n");
  await saveResults("cached_doh.md", table);
}

await main();
