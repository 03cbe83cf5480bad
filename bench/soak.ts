/**
 * Soak (`deno task bench:soak`): the real gateway under a steady mixed load for a fixed time,
 * to show it neither errs nor grows. Knot serves a test zone with a wildcard (so every
 * "uncached" name is new and answered), a local list server blocks a subtree, and the load
 * mixes cached, uncached, blocked and NXDOMAIN queries, half over DoH (HTTP/1.1 keep-alive)
 * and half over the UDP door, at SOAK_RATE queries per second for SOAK_SECONDS.
 *
 * The answer cache is kept small (CACHE_MAX_BYTES=2 MiB) so that it fills during the warm-up
 * and every later byte of growth would be a leak, not the cache doing its job. Prints errors
 * (any wrong rcode, HTTP error or timeout; must be 0), p50/p99 latency per transport after
 * the warm-up, and the process's RSS, sampled every second. Exits 1 when either bound is
 * broken. Bounded: the rate and the time are fixed, the loop stops by itself.
 *
 * The memory verdict is the slope of RSS over the last half of the run (rss_verdict.ts): the
 * growth it makes over that half must stay within 5 % of the level. V8 grows its heap in steps
 * for minutes, and when it stops varies from run to run (one run rose 31 % after a two-minute
 * warm-up and then stayed flat from the third minute), so growth since the warm-up would judge
 * when the heap settled, not whether memory leaks; a leak keeps the slope up.
 *
 * With SOAK_HISTORY=on the gateway also stores every query in SQLite (HISTORY=on, a fresh
 * DATA_DIR), and the run checks that nothing was lost: the statistics the database holds must
 * count every query sent, and `dns_history_dropped_total` must stay 0. Its table goes to
 * bench/results/soak_history.md.
 *
 * env: SOAK_SECONDS (default 600), SOAK_RATE (default 200), SOAK_WARMUP_SECONDS (default 120),
 * SOAK_HISTORY (off).
 */
import { RType } from "../dns/mod.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { doorPort } from "../tests/support/dns_clients.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { startKnot } from "../tests/support/knot.ts";
import { startListServer } from "../tests/support/list_server.ts";
import { TEST_ZONE, testZoneText } from "../tests/support/test_zone.ts";
import { rssBytes } from "./proc.ts";
import { type RssSample, rssVerdict } from "./rss_verdict.ts";

const SECONDS = Number(Deno.env.get("SOAK_SECONDS") ?? 600);
const RATE = Number(Deno.env.get("SOAK_RATE") ?? 200);
const WARMUP = Number(Deno.env.get("SOAK_WARMUP_SECONDS") ?? 120);
const HISTORY = Deno.env.get("SOAK_HISTORY") === "on";
const ADMIN_TOKEN = "soak-admin-token-0123456789";
const TIMEOUT_MS = 2000;
/** Growth of the fitted RSS line over the last half of the run, at most. */
const MAX_GROWTH = 0.05;

type Kind = "cached" | "uncached" | "blocked" | "nxdomain";
const KINDS: Kind[] = ["cached", "uncached", "blocked", "nxdomain"];
const EXPECTED_RCODE: Record<Kind, number> = { cached: 0, uncached: 0, blocked: 3, nxdomain: 3 };

function nameFor(kind: Kind, n: number): string {
  switch (kind) {
    case "cached":
      return `www.${TEST_ZONE}`;
    case "uncached":
      return `n${n}.soak.${TEST_ZONE}`;
    case "blocked":
      return `n${n}.ads.${TEST_ZONE}`;
    case "nxdomain":
      return `missing${n}.${TEST_ZONE}`;
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
};

/** One UDP socket for the whole run; replies matched to queries by ID. */
function udpClient(port: number) {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const waiting = new Map<number, (reply: Uint8Array) => void>();
  let nextId = 1;
  (async () => {
    for await (const [reply] of socket) waiting.get((reply[0] << 8) | reply[1])?.(reply);
  })().catch(() => {});
  return {
    ask(name: string): Promise<number> {
      const id = nextId = (nextId % 65535) + 1;
      const query = makeQuery(name, RType.A, { id });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error("UDP timeout"));
        }, TIMEOUT_MS);
        waiting.set(id, (reply) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(reply[3] & 0x0f);
        });
        socket.send(query, { transport: "udp", hostname: "127.0.0.1", port }).catch(reject);
      });
    },
    close: () => socket.close(),
  };
}

async function dohAsk(url: string, name: string): Promise<number> {
  const response = await fetch(`${url}/dns-query`, {
    method: "POST",
    headers: { "content-type": "application/dns-message" },
    body: makeQuery(name, RType.A),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  return bytes[3] & 0x0f;
}

/** What the history holds at the end: queries its statistics count, those it dropped. */
async function historyHeld(url: string): Promise<{ stored: number; dropped: number }> {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const stats = await (await fetch(`${url}/admin/stats?range=1h`, { headers })).json();
  const stored = Object.values(stats.totals as Record<string, number>).reduce((a, b) => a + b, 0);
  const metrics = await (await fetch(`${url}/metrics`, { headers })).text();
  const dropped = Number(/^dns_history_dropped_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
  if (stats.source !== "sqlite") {
    throw new Error(`statistics came from ${stats.source}, not SQLite`);
  }
  return { stored, dropped };
}

async function main() {
  const knot = await startKnot({ zoneText: `${testZoneText()}*.soak 300 A 192.0.2.55\n` });
  const lists = startListServer();
  lists.set("ads", `0.0.0.0 ads.${TEST_ZONE}\n`);
  const dataDir = HISTORY ? await Deno.makeTempDir({ prefix: "soak-history-" }) : undefined;
  const gateway = await startGateway({
    env: {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      UDP_PORT: "0",
      UDP_RATE: "0",
      DOH_RATE: "0",
      BLOCKLIST_URLS: `${lists.url}/ads`,
      CACHE_MAX_BYTES: String(2 * 1024 * 1024),
      ...(dataDir && { HISTORY: "on", DATA_DIR: dataDir, ADMIN_TOKEN }),
    },
    stdout: "null",
  });
  const udp = udpClient(doorPort(gateway, "UDP"));
  const latencies: Record<"doh" | "udp", number[]> = { doh: [], udp: [] };
  const errors: string[] = [];
  let sent = 0;
  let baseline = 0;
  let lastReport = 0;
  const samples: RssSample[] = [];
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  try {
    while (performance.now() - started < SECONDS * 1000) {
      const elapsed = (performance.now() - started) / 1000;
      if (baseline === 0 && elapsed >= WARMUP) {
        await Promise.all(inFlight);
        baseline = await rssBytes(gateway.pid);
        console.error(`warm-up done: RSS ${(baseline / 2 ** 20).toFixed(1)} MiB`);
      }
      if (elapsed - (samples.at(-1)?.seconds ?? -1) >= 1) {
        samples.push({ seconds: elapsed, bytes: await rssBytes(gateway.pid) });
      }
      const due = Math.floor(elapsed * RATE);
      while (sent < due) {
        const n = sent++;
        const kind = KINDS[n % KINDS.length];
        const transport = n % 8 < 4 ? "doh" : "udp";
        const t0 = performance.now();
        const name = nameFor(kind, n);
        const asking = (transport === "doh" ? dohAsk(gateway.url, name) : udp.ask(name)).then(
          (rcode) => {
            if (baseline > 0) latencies[transport].push(performance.now() - t0);
            if (rcode !== EXPECTED_RCODE[kind]) {
              errors.push(`${transport} ${kind} ${name}: rcode ${rcode}`);
            }
          },
          (error) => void errors.push(`${transport} ${kind} ${name}: ${error.message}`),
        ).finally(() => inFlight.delete(asking));
        inFlight.add(asking);
      }
      if (elapsed - lastReport >= 60) {
        lastReport = elapsed;
        const mib = (await rssBytes(gateway.pid) / 2 ** 20).toFixed(1);
        console.error(
          `${elapsed.toFixed(0)} s: ${sent} sent, ${errors.length} errors, RSS ${mib} MiB`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(inFlight);
    const end = await rssBytes(gateway.pid);
    // The last batch is written within a second or two of its queries.
    if (HISTORY) await new Promise((resolve) => setTimeout(resolve, 3000));
    const held = HISTORY ? await historyHeld(gateway.url) : undefined;
    const dbBytes = dataDir
      ? [...Deno.readDirSync(dataDir)].reduce(
        (sum, entry) => sum + Deno.statSync(`${dataDir}/${entry.name}`).size,
        0,
      )
      : 0;
    const lost = held !== undefined && (held.stored !== sent || held.dropped !== 0);
    samples.push({ seconds: (performance.now() - started) / 1000, bytes: end });
    const verdict = rssVerdict(samples, MAX_GROWTH);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    const row = (transport: "doh" | "udp") =>
      `| ${transport} | ${latencies[transport].length} | ${
        percentile(latencies[transport], 0.5).toFixed(2)
      } | ${percentile(latencies[transport], 0.99).toFixed(2)} |`;
    const table = [
      `Soak, ${
        new Date().toISOString().slice(0, 10)
      }, Deno ${Deno.version.deno}: ${SECONDS} s at ` +
      `${RATE} queries/s (cached, uncached, blocked, NXDOMAIN; half DoH, half UDP), ` +
      `${WARMUP} s warm-up, cache bound 2 MiB` +
      (HISTORY ? "; every query also stored in SQLite (HISTORY=on)." : "."),
      "",
      "| transport | answers after warm-up | p50 ms | p99 ms |",
      "| --- | ---: | ---: | ---: |",
      row("doh"),
      row("udp"),
      "",
      `queries sent: ${sent}; errors: ${errors.length}` +
      (errors.length ? ` (first: ${errors[0]})` : ""),
      `RSS after warm-up ${mib(baseline)} MiB, at the end ${mib(end)} MiB, at most ${
        mib(Math.max(...samples.map((sample) => sample.bytes)))
      } MiB (${samples.length} samples, one a second).`,
      `Memory verdict from the plateau, not the warm-up: over the last half of the run ` +
      `(${(SECONDS / 2).toFixed(0)} s) RSS fits a line rising ` +
      `${(verdict.slope * 60 / 2 ** 20).toFixed(2)} MiB a minute, ` +
      `${(verdict.growth * 100).toFixed(1)} % over that half (bound ${MAX_GROWTH * 100} %).`,
      ...(held === undefined ? [] : [
        `History: ${held.stored} queries counted in SQLite of ${sent} sent; ` +
        `dns_history_dropped_total ${held.dropped}; database files ${mib(dbBytes)} MiB.`,
      ]),
      `${errors.length === 0 ? "PASS" : "FAIL"} no errors; ${
        verdict.pass ? "PASS" : "FAIL"
      } RSS growth` + (held === undefined ? "" : `; ${lost ? "FAIL" : "PASS"} nothing lost`),
      "",
    ].join("\n");
    console.log(table);
    await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
    const file = HISTORY ? "results/soak_history.md" : "results/soak.md";
    await Deno.writeTextFile(new URL(file, import.meta.url), table);
    if (errors.length > 0 || !verdict.pass || lost) Deno.exitCode = 1;
  } finally {
    udp.close();
    await gateway.stop();
    await lists.close();
    await knot.stop();
    if (dataDir) await Deno.remove(dataDir, { recursive: true });
  }
}

await main();
