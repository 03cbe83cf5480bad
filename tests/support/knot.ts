/**
 * A real authoritative DNS server (Knot DNS) on a free loopback port, serving the test zone
 * over UDP and TCP: the upstream of integration and e2e tests. knot answers REFUSED for names
 * outside its zones, which makes it the "refusing upstream" too.
 */
import { peekQuestion, RType } from "../../dns/mod.ts";
import { requireBinary } from "./binaries.ts";
import { makeQuery } from "./dns_query.ts";
import { spawnPeer } from "./peer_process.ts";
import { freeDnsPort } from "./ports.ts";
import { TEST_ZONE, testZoneText } from "./test_zone.ts";

export interface KnotServer {
  host: "127.0.0.1";
  port: number;
  /** knotd's process id (benchmarks pin it to a CPU). */
  pid: number;
  /** Kills knotd, waits for it to exit, and removes its temp dir. */
  stop(): Promise<void>;
  /** Total queries knot has answered so far (UDP + TCP), from `knotc stats` (mod-stats). */
  queryCount(): Promise<number>;
}

export interface KnotOptions {
  /** Zone file text; testZoneText({ origin }) by default. */
  zoneText?: string;
  /** Zone origin, without trailing dot; TEST_ZONE by default. */
  origin?: string;
  /**
   * Zones knot is told to serve from a file that does not exist: it answers SERVFAIL for
   * every name in them (the "failing upstream").
   */
  unloadableZones?: string[];
  /**
   * Answers tailored to the client's subnet (knot's geoip module in subnet mode, with EDNS
   * client subnet on): its YAML configuration, names relative to nothing (full names). knot
   * answers a query carrying a client-subnet option with the scope of the subnet it matched.
   */
  subnetAnswers?: string;
}

const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

/** Starts knotd in the foreground; resolves once it answers the zone's SOA over UDP. */
export async function startKnot(options: KnotOptions = {}): Promise<KnotServer> {
  requireBinary("knotd");
  const origin = options.origin ?? TEST_ZONE;
  const zoneText = options.zoneText ?? testZoneText({ origin });
  let lastError: unknown;
  // The port from freeDnsPort() may be taken by someone else before knotd binds it: retry.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(origin, zoneText, freeDnsPort(), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(
  origin: string,
  zoneText: string,
  port: number,
  options: KnotOptions,
): Promise<KnotServer> {
  const dir = await Deno.makeTempDir({ prefix: "knot-test-" });
  const socket = `${dir}/knot.sock`;
  await Deno.writeTextFile(`${dir}/zone`, zoneText);
  if (options.subnetAnswers !== undefined) {
    await Deno.writeTextFile(`${dir}/subnets.yaml`, options.subnetAnswers);
  }
  await Deno.writeTextFile(`${dir}/knot.conf`, knotConfig(dir, origin, port, options));
  const peer = spawnPeer("knotd", ["-c", `${dir}/knot.conf`], dir);
  const server: KnotServer = {
    host: "127.0.0.1",
    port,
    pid: peer.pid,
    stop: peer.stop,
    queryCount: () => queryCount(socket),
  };
  try {
    await waitUntilAnswering(port, origin, peer.exited);
    return server;
  } catch (error) {
    await peer.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`knotd did not start on 127.0.0.1:${port}: ${reason}\n${peer.log()}`);
  }
}

function knotConfig(dir: string, origin: string, port: number, options: KnotOptions): string {
  const subnets = options.subnetAnswers !== undefined;
  const unloadable = (options.unloadableZones ?? []).map((zone) =>
    `  - domain: "${zone}."\n    file: "${dir}/missing-${zone}.zone"\n`
  );
  return `server:
    rundir: "${dir}"
    listen: 127.0.0.1@${port}
    edns-client-subnet: ${subnets ? "on" : "off"}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "${dir}/knot.sock"
database:
    storage: "${dir}"
log:
  - target: stderr
    any: warning
mod-stats:
  - id: counts
${
    subnets
      ? `mod-geoip:\n  - id: subnets\n    config-file: "${dir}/subnets.yaml"\n    mode: subnet\n    ttl: 300\n`
      : ""
  }template:
  - id: default
    storage: "${dir}"
    global-module: mod-stats/counts
zone:
  - domain: "${origin}."
    file: "${dir}/zone"
${subnets ? "    module: mod-geoip/subnets\n" : ""}${unloadable.join("")}`;
}

/**
 * Whether knot's geoip module (Debian: knot-module-geoip) is installed, for tests that need
 * `subnetAnswers`; like `integration()`, a missing module fails under REQUIRE_INTEGRATION=1.
 */
export function knotGeoip(): { ignore: boolean } {
  const present = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]
    .some((lib) => {
      try {
        return [...Deno.readDirSync(`${lib}/knot`)].some((dir) =>
          dir.name.startsWith("modules-") && existsSync(`${lib}/knot/${dir.name}/geoip.so`)
        );
      } catch {
        return false;
      }
    });
  if (present || Deno.env.get("REQUIRE_INTEGRATION") === "1") return { ignore: false };
  console.log("skipping: needs knot-module-geoip, not installed (bash scripts/setup.sh)");
  return { ignore: true };
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Asks for the zone's SOA over UDP every 50 ms until a NOERROR answer comes back. */
async function waitUntilAnswering(
  port: number,
  origin: string,
  exited: () => boolean,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const query = makeQuery(origin, RType.SOA, { id: 4242 });
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  // One receive stays pending across rounds (a socket allows only one at a time).
  let answered = false;
  const receiving = (async () => {
    for await (const [reply] of socket) {
      const view = (() => {
        try {
          return peekQuestion(reply);
        } catch {
          return undefined;
        }
      })();
      if (
        view && view.id === 4242 && view.response &&
        view.rcode4 === 0 && view.ancount > 0
      ) {
        answered = true;
        return;
      }
    }
  })().catch(() => {/* the socket closed */});
  try {
    while (!answered) {
      if (exited()) throw new Error("knotd exited");
      if (Date.now() > deadline) throw new Error(`no answer within ${START_TIMEOUT_MS} ms`);
      await socket.send(query, { transport: "udp", hostname: "127.0.0.1", port });
      await delay(50);
    }
  } finally {
    socket.close();
    await receiving;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sums mod-stats' per-protocol request counters (absent counters mean none yet). */
async function queryCount(socket: string): Promise<number> {
  requireBinary("knotc");
  const output = await new Deno.Command("knotc", {
    args: ["-s", socket, "stats"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(5000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`knotc stats failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  let total = 0;
  for (const match of text.matchAll(/^mod-stats\.request-protocol\[[^\]]+\] = (\d+)$/gm)) {
    total += Number(match[1]);
  }
  return total;
}
