/**
 * The speed harness (`deno task bench:all`): the gateway against the runtime floor (Deno
 * programs that answer with fixed bytes) and against dnsdist (C++, packet cache), in one run
 * on loopback, servers on CPU 0 and load generators on CPU 1. Each DoH case runs 9 rounds
 * (BENCH_ROUNDS) and each UDP case 3, servers taking turns in alternating order; the table has
 * medians, and the ratios gateway/floor and gateway/dnsdist as the median of each round's
 * ratio, which are what to compare between runs on a shared machine. Then cold
 * start, memory, the miss path's added latency, and fresh TLS connections.
 *
 * env: BENCH_REQUESTS (DoH requests per round, default 20000), BENCH_MISSES (unique names per
 * DoH miss round, default 5000; UDP uses 4×), BENCH_SECONDS (per UDP round, default 5),
 * BENCH_ONLY (a substring of the case labels to run only those), BENCH_ROUNDS (DoH rounds,
 * default 9).
 */
import { benchCases, DOH_ROUNDS, UDP_ROUNDS } from "./cases.ts";
import { coldStart, FLOOR_ARGS, GATEWAY_ARGS } from "./cold_start.ts";
import { ROUNDS, saveResults, startFloor } from "./floor.ts";
import { firstHandshake, freshConnections } from "./fresh_connections.ts";
import { measured, median, type Round } from "./load_round.ts";
import { missLatency } from "./miss_latency.ts";
import { loadAverage, rssBytes } from "./proc.ts";
import { BLOCKLIST_DOMAINS, type ServerName, startStack } from "./stack.ts";
import { BENCH_CLIENTS, BENCH_PROFILES } from "./bench_zone.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { freePort } from "../tests/support/ports.ts";

const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 20_000);
const MISSES = Number(Deno.env.get("BENCH_MISSES") ?? 5_000);
const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const ONLY = Deno.env.get("BENCH_ONLY");
const COLD_START_ROUNDS = 11;
const FRESH_CONNECTIONS = 40;
/** A load average above this (2 cores, the run itself keeps about 2 busy) disturbed the run. */
const HIGH_LOAD = 3;

const loads: number[] = [];
const sampleLoad = async () => loads.push(await loadAverage());

const fmt = (value: number, digits = 2) => Number.isFinite(value) ? value.toFixed(digits) : "—";

async function main() {
  const startLoad = await loadAverage();
  const stack = await startStack();
  const lines: string[] = [];
  try {
    const cases = (await benchCases({
      dir: stack.dir,
      requests: REQUESTS,
      misses: MISSES,
      seconds: SECONDS,
    })).filter((c) => ONLY === undefined || c.label.includes(ONLY));
    const rows: string[] = [];
    for (const test of cases) {
      const rounds = new Map<ServerName, Round[]>();
      const servers = test.forwardFloor
        ? stack.servers.map((server) => server.name === "floor" ? stack.forwardFloor : server)
        : stack.servers;
      for (let round = 0; round < test.rounds; round++) {
        // Taking turns in both orders, so no server always runs right after another.
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) {
          await sampleLoad();
          const result = await measured(test.pid(server), () => test.run(server, round));
          rounds.set(server.name, [...rounds.get(server.name) ?? [], result]);
        }
      }
      const med = (name: ServerName, key: keyof Round) =>
        median(rounds.get(name)!.map((r) => r[key]));
      // Each round's ratio, then their median: rounds close in time share the machine's mood.
      const pairedRatio = (other: ServerName) =>
        median(rounds.get("gateway")!.map((r, i) => r.qps / rounds.get(other)![i].qps));
      for (const server of servers) {
        const name = server.name;
        const qps = med(name, "qps");
        const failed = rounds.get(name)!.reduce((sum, r) => sum + r.failed, 0);
        const ratio = (other: ServerName) => name === "gateway" ? fmt(pairedRatio(other)) : "";
        rows.push(
          `| ${test.label} | ${server.label ?? name} | ${fmt(qps, 0)} | ${
            fmt(med(name, "p50Ms"), 3)
          } | ${fmt(med(name, "p99Ms"), 3)} | ${fmt(med(name, "cpuUs"), 1)} | ${ratio("floor")} | ${
            ratio("dnsdist")
          } | ${failed} |`,
        );
      }
      console.error(rows.slice(-3).join("\n"));
    }
    lines.push(
      "| case | server | qps | p50 ms | p99 ms | server CPU µs/query | gateway/floor | gateway/dnsdist | failed |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
    );
    if (ONLY === undefined) lines.push(...await extras(stack));
  } finally {
    await stack.stop();
  }
  const maxLoad = Math.max(...loads);
  const high = startLoad > 1 || maxLoad > HIGH_LOAD;
  const header = [
    `Speed, ${new Date().toISOString().slice(0, 16)}Z, Deno ${Deno.version.deno}, ` +
    `${navigator.hardwareConcurrency} CPUs; servers on CPU 0, h2load/dnsperf (and knot) on CPU 1; ` +
    `DoH ${DOH_ROUNDS} rounds and UDP ${UDP_ROUNDS}, servers alternating; medians, and ratios as the ` +
    `median of each round's ratio; DoH ${REQUESTS} requests per round (16 clients, h2: 8 streams ` +
    `each), misses ${MISSES} unique names per DoH round (1 connection, 16 streams) and ` +
    `${MISSES * 4} per UDP round; UDP ${SECONDS} s per round (4 sockets, 100 outstanding).`,
    "",
    `Load average: ${fmt(startLoad)} before the run, at most ${fmt(maxLoad)} during it` +
    (high
      ? " — HIGH: other work shared the machine, read ratios rather than absolute figures."
      : "."),
    "",
    "gateway: as configured by default, with the 1,000,000-domain list, 100 profiles and " +
    "10,000 clients, the query log on stdout (to /dev/null), history not stored (as HISTORY=auto " +
    'decides on one CPU); in the "history on" row, another like it with every query also stored ' +
    "in SQLite (HISTORY=on), its writer thread on the same CPU.",
    "",
    "floor: Deno programs answering fixed bytes (bench/floor_doh.ts, bench/floor_udp.ts; the DoH " +
    "floor reads the URL, and a POST's body, as any DoH server must before it answers), so " +
    'its "blocked" and "padded" rows are the same fixed answer (a padded query, as ' +
    "browsers send, gets a 468-byte answer from the gateway, RFC 8467); the UDP floor uses " +
    "Deno's send " +
    "and receive, where the gateway's UDP door calls sendto(2)/recvfrom(2) itself " +
    "(doors/udp_direct.ts). In the miss rows the floor is the forward floor " +
    "(bench/floor_forward.ts): DoH or UDP in, the query sent as it came in one UDP datagram to " +
    "the same knot, its answer out with the client's ID, nothing else; there gateway/floor is " +
    "gateway/forward floor. dnsdist 1.7 (packet cache, " +
    "blocked names by a suffix rule answering a bare NXDOMAIN) has every path; its plain DoH " +
    "listener speaks h2c and HTTP/1.1.",
    "",
  ];
  await saveResults("all.md", [...header, ...lines].join("\n"));
}

/** Cold start, memory, the miss path's added latency, and fresh TLS connections. */
async function extras(stack: Awaited<ReturnType<typeof startStack>>): Promise<string[]> {
  const gateway = stack.servers.find((s) => s.name === "gateway")!;
  const floor = stack.servers.find((s) => s.name === "floor")!;
  const out: string[] = [];

  const cold = { gateway: [] as number[], profiles: [] as number[], bare: [] as number[] };
  // A start is ~20-90 ms and varies by tens of ms on a shared machine: more rounds than the rest.
  for (let round = 0; round < COLD_START_ROUNDS; round++) {
    await sampleLoad();
    cold.gateway.push(await coldStart(GATEWAY_ARGS, stack.gatewayEnv));
    cold.profiles.push(
      await coldStart(GATEWAY_ARGS, { ...stack.gatewayEnv, ...stack.profilesEnv }),
    );
    cold.bare.push(await coldStart(FLOOR_ARGS, { ANSWER_BASE64: "AAA=" }));
  }
  const cg = median(cold.gateway);
  const cb = median(cold.bare);
  out.push(
    `- Cold start to first answer (spawn → first 200 on /dns-query, plain HTTP): gateway with a ` +
      `${BLOCKLIST_DOMAINS.toLocaleString("en")}-domain blocklist ${fmt(cg, 0)} ms, bare ` +
      `Deno.serve ${fmt(cb, 0)} ms: ${fmt(cg / cb)}× (target ≤ 1.2×; medians of ` +
      `${COLD_START_ROUNDS}, alternating). With a profiles file of ${BENCH_PROFILES} profiles ` +
      `and ${BENCH_CLIENTS.toLocaleString("en")} clients besides: ` +
      `${fmt(median(cold.profiles), 0)} ms (the YAML is read before the door opens).`,
  );

  // RSS: a gateway with the 1M-domain list loaded (idle since the stack started) against one
  // with no list; and the running gateway, which has the profiles too (and its cache).
  const bare = await startGateway({ env: { UPSTREAMS: stack.gatewayEnv.UPSTREAMS }, cpu: 0 });
  await fetch(`${bare.url}/health`).then((r) => r.arrayBuffer()).catch(() => {});
  const withList = await rssBytes(stack.listedPid);
  const without = await rssBytes(bare.pid);
  const withProfiles = await rssBytes(gateway.httpPid);
  await bare.stop();
  const floorRss = await rssBytes(floor.httpPid);
  const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);
  out.push(
    `- Memory at rest (RSS): gateway without lists ${mib(without)} MiB, with the ` +
      `${BLOCKLIST_DOMAINS.toLocaleString("en")}-domain list ${mib(withList)} MiB ` +
      `(${fmt((withList - without) / BLOCKLIST_DOMAINS, 1)} B per listed domain in RSS), bare ` +
      `Deno.serve ${
        mib(floorRss)
      } MiB; the running gateway (the list, ${BENCH_PROFILES} profiles ` +
      `and ${BENCH_CLIENTS.toLocaleString("en")} clients, its cache) ${mib(withProfiles)} MiB. ` +
      `Per cached entry: \`deno task bench:cache-memory\`; ` +
      "the list's own bytes per domain and 1M load time: `deno task bench:blocklist` " +
      "(bench/results/blocklist_memory.md).",
  );
  const loaded = /list bench: [^\n]*?(\d+) ms/.exec(stack.gatewayStderr());
  if (loaded) out.push(`- The 1M-domain list loaded in the running gateway in ${loaded[1]} ms.`);

  const misses = { gateway: [] as number[], upstream: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    await sampleLoad();
    const m = await missLatency(
      { gateway: gateway.udpPort, upstream: stack.knot.port },
      `r${round}`,
      500,
    );
    misses.gateway.push(m.gatewayMs);
    misses.upstream.push(m.upstreamMs);
  }
  const mg = median(misses.gateway);
  const mu = median(misses.upstream);
  out.push(
    `- Miss path, one UDP query at a time, p50: gateway ${fmt(mg, 3)} ms, upstream asked ` +
      `directly ${fmt(mu, 3)} ms: the gateway adds ${fmt(mg - mu, 3)} ms (target ≤ 0.3 ms).`,
  );

  out.push("", "Fresh TLS connections (curl, h2 by ALPN, one query per new connection):", "");
  out.push(
    `| server | first answer p50 ms (from connect) | stalls > 20 ms of ${FRESH_CONNECTIONS} | ` +
      "first handshake of a new process ms | later handshakes ms |",
    "| --- | ---: | ---: | ---: | ---: |",
  );
  for (const server of stack.servers) {
    await sampleLoad();
    const fresh = await freshConnections(server.https, FRESH_CONNECTIONS);
    const first = server.name === "dnsdist"
      ? undefined
      : await newProcessHandshakes(stack, server.name);
    out.push(
      `| ${server.name} | ${fmt(fresh.firstAnswerMs)} | ${fresh.stalls} | ${
        first ? fmt(first.firstMs) : "—"
      } | ${first ? fmt(first.laterMs) : "—"} |`,
    );
  }
  out.push("");
  return out;
}

/** The first TLS handshake of a freshly started gateway or floor, against later ones (medians). */
async function newProcessHandshakes(
  stack: Awaited<ReturnType<typeof startStack>>,
  name: ServerName,
): Promise<{ firstMs: number; laterMs: number }> {
  const firsts: number[] = [];
  const laters: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const tls = { TLS_CERT: stack.cert.certFile, TLS_KEY: stack.cert.keyFile };
    let base: string;
    let stop: () => Promise<unknown>;
    if (name === "gateway") {
      const gw = await startGateway({
        env: { UPSTREAMS: stack.gatewayEnv.UPSTREAMS, ...tls },
        cpu: 0,
        stdout: "null",
      });
      base = `https://127.0.0.1:${gw.port}`;
      stop = gw.stop;
    } else {
      const port = freePort();
      const floor = await startFloor(
        "floor_doh.ts",
        ["--allow-net", "--allow-read", "--allow-env"],
        {
          ...tls,
          PORT: String(port),
          ANSWER_BASE64: "AAA=",
        },
      );
      base = `https://127.0.0.1:${port}`;
      stop = floor.stop;
    }
    try {
      const { firstMs, laterMs } = await firstHandshake(base);
      firsts.push(firstMs);
      laters.push(laterMs);
    } finally {
      await stop();
    }
  }
  return { firstMs: median(firsts), laterMs: median(laters) };
}

await main();
