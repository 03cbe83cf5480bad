/**
 * Everything the speed harness measures, started on loopback: knot serving the bench zone
 * (the upstream), the gateway (over TLS with its UDP door, and over plain HTTP), the runtime
 * floors (bench/floor_doh.ts over TLS and plain HTTP, bench/floor_udp.ts; for misses
 * bench/floor_forward.ts, over TLS and UDP, forwarding to the same knot) and dnsdist with a
 * packet cache in front of the same knot. Servers are pinned to CPU 0; knot shares CPU 1 with
 * the load generators, so the servers' CPU is theirs alone.
 */
import { startFloor } from "./floor.ts";
import { pinProcess } from "./proc.ts";
import {
  BENCH_CLIENT_ID,
  BENCH_ZONE,
  benchZoneText,
  BLOCKED_PARENT,
  CACHED_NAME,
  dohGetPath,
  writeBlocklist,
  writeProfiles,
} from "./bench_zone.ts";
import { doorPort } from "../tests/support/dns_clients.ts";
import { startDnsdist } from "../tests/support/dnsdist.ts";
import { type Gateway, startGateway } from "../tests/support/gateway.ts";
import { type KnotServer, startKnot } from "../tests/support/knot.ts";
import { freePort } from "../tests/support/ports.ts";
import { makeCertificate, type TestCertificate } from "../tests/support/tls.ts";

export type ServerName = "gateway" | "floor" | "dnsdist";

/** One server under test, by the paths it offers (absent: it has no such path). */
export interface Server {
  name: ServerName;
  /** What its rows call it, when not its name. */
  label?: string;
  pid: number;
  /** https://127.0.0.1:port (HTTP/2 and HTTP/1.1 by ALPN). */
  https: string;
  /** http://127.0.0.1:port (h2c by prior knowledge and HTTP/1.1), a process of its own. */
  http: string;
  /** pid of the process behind `http`, when it is not `pid`. */
  httpPid: number;
  udpPort: number;
  /** pid of the process behind `udpPort`. */
  udpPid: number;
  /** The gateway with the query history on (HISTORY=on): its https URL and pid. */
  history?: { https: string; pid: number };
}

export interface Stack {
  dir: string;
  cert: TestCertificate;
  knot: KnotServer;
  /** The bench blocklist file (1,000,000 domains). */
  blocklistFile: string;
  /** Gateway settings as the harness runs it, for more instances (cold start), but profiles. */
  gatewayEnv: Record<string, string>;
  /** The profiles file the running gateways have (BENCH_PROFILES, BENCH_CLIENTS). */
  profilesEnv: Record<string, string>;
  /** A gateway with the list and no profiles, idle from the start (memory at rest). */
  listedPid: number;
  servers: Server[];
  /**
   * The floor of a miss (bench/floor_forward.ts), in the floor's place for the miss cases: over
   * TLS and UDP only.
   */
  forwardFloor: Server;
  /** What the TLS gateway printed (its blocklist load line). */
  gatewayStderr(): string;
  stop(): Promise<void>;
}

/** Domains in the bench blocklist: the size of the big public lists. */
export const BLOCKLIST_DOMAINS = 1_000_000;

export async function startStack(): Promise<Stack> {
  const stops: (() => Promise<unknown>)[] = [];
  const dir = await Deno.makeTempDir({ prefix: "bench-all-" });
  stops.push(() => Deno.remove(dir, { recursive: true }));
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
  };
  try {
    const cert = await makeCertificate(dir);
    const knot = await startKnot({ zoneText: benchZoneText(), origin: BENCH_ZONE });
    stops.push(knot.stop);
    await pinProcess(knot.pid, 1);
    const blocklistFile = await writeBlocklist(dir, BLOCKLIST_DOMAINS);
    const gatewayEnv = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      BLOCKLIST_URLS: `bench=${blocklistFile}`,
      BLOCKLIST_DIR: "off",
      // One load generator is one client address: the per-client limit would cap the bench.
      DOH_RATE: "0",
    };
    // Every row runs with profiles configured; the ClientID rows ask as one of the clients.
    const profilesEnv = { PROFILES_FILE: await writeProfiles(dir, "bench") };
    const gateway = await startGateway({
      env: {
        ...gatewayEnv,
        ...profilesEnv,
        TLS_CERT: cert.certFile,
        TLS_KEY: cert.keyFile,
        UDP_PORT: "0",
        UDP_RATE: "0",
      },
      cpu: 0,
      stdout: "null",
    });
    stops.push(gateway.stop);
    const plain = await startGateway({
      env: { ...gatewayEnv, ...profilesEnv },
      cpu: 0,
      stdout: "null",
    });
    stops.push(plain.stop);
    // The same over TLS with the query history on (SQLite under DATA_DIR), for its own row.
    const recording = await startGateway({
      env: {
        ...gatewayEnv,
        ...profilesEnv,
        HISTORY: "on",
        DATA_DIR: `${dir}/history`,
        TLS_CERT: cert.certFile,
        TLS_KEY: cert.keyFile,
      },
      cpu: 0,
      stdout: "null",
    });
    stops.push(recording.stop);
    // The list alone, no profiles and no traffic: at rest by the time memory is measured.
    const listed = await startGateway({ env: gatewayEnv, cpu: 0, stdout: "null" });
    stops.push(listed.stop);
    await Promise.all([
      listsLoaded(gateway),
      listsLoaded(plain),
      listsLoaded(listed),
      listsLoaded(recording),
    ]);

    const client = Deno.createHttpClient({ caCerts: [cert.cert] });
    const first = await fetch(
      `${gateway.url.replace("http:", "https:")}${dohGetPath(CACHED_NAME)}`,
      {
        client,
      },
    );
    const answer = new Uint8Array(await first.arrayBuffer());
    client.close();
    await fetch(`${plain.url}${dohGetPath(CACHED_NAME)}`).then((r) => r.arrayBuffer());

    const floorEnv = { ANSWER_BASE64: answer.toBase64() };
    const floorFlags = ["--allow-net", "--allow-read", "--allow-env"];
    const floorPorts = { https: freePort(), http: freePort(), udp: freePort("udp") };
    const floorTls = await startFloor("floor_doh.ts", floorFlags, {
      ...floorEnv,
      PORT: String(floorPorts.https),
      TLS_CERT: cert.certFile,
      TLS_KEY: cert.keyFile,
    });
    stops.push(floorTls.stop);
    const floorPlain = await startFloor("floor_doh.ts", floorFlags, {
      ...floorEnv,
      PORT: String(floorPorts.http),
    });
    stops.push(floorPlain.stop);
    const floorUdp = await startFloor("floor_udp.ts", ["--unstable-net", ...floorFlags], {
      ...floorEnv,
      PORT: String(floorPorts.udp),
    });
    stops.push(floorUdp.stop);
    const forwardPorts = { https: freePort(), udp: freePort("udp") };
    const floorForward = await startFloor("floor_forward.ts", ["--unstable-net", ...floorFlags], {
      PORT: String(forwardPorts.https),
      UDP_PORT: String(forwardPorts.udp),
      UPSTREAM_PORT: String(knot.port),
      TLS_CERT: cert.certFile,
      TLS_KEY: cert.keyFile,
    });
    stops.push(floorForward.stop);

    const dnsdistHttp = freePort();
    const dnsdist = await startDnsdist({
      upstream: { host: "127.0.0.1", port: knot.port },
      cert,
      checkName: BENCH_ZONE,
      dohPaths: ["/dns-query", `/dns-query/${BENCH_CLIENT_ID}`],
      extraConfig: [
        `addDOHLocal("127.0.0.1:${dnsdistHttp}", nil, nil, {"/dns-query", "/dns-query/${BENCH_CLIENT_ID}"})`,
        "getPool(''):setCache(newPacketCache(100000))",
        `addAction(makeRule("${BLOCKED_PARENT}."), RCodeAction(DNSRCode.NXDOMAIN))`,
      ].join("\n"),
    });
    stops.push(dnsdist.stop);
    await pinProcess(dnsdist.pid, 0);

    const servers: Server[] = [
      {
        name: "gateway",
        pid: gateway.pid,
        https: `https://127.0.0.1:${gateway.port}`,
        http: plain.url,
        httpPid: plain.pid,
        udpPort: doorPort(gateway, "UDP"),
        udpPid: gateway.pid,
        history: { https: `https://127.0.0.1:${recording.port}`, pid: recording.pid },
      },
      {
        name: "floor",
        pid: floorTls.pid,
        https: `https://127.0.0.1:${floorPorts.https}`,
        http: `http://127.0.0.1:${floorPorts.http}`,
        httpPid: floorPlain.pid,
        udpPort: floorPorts.udp,
        udpPid: floorUdp.pid,
      },
      {
        name: "dnsdist",
        pid: dnsdist.pid,
        https: `https://127.0.0.1:${dnsdist.dohPort}`,
        http: `http://127.0.0.1:${dnsdistHttp}`,
        httpPid: dnsdist.pid,
        udpPort: dnsdist.dnsPort,
        udpPid: dnsdist.pid,
      },
    ];
    return {
      dir,
      cert,
      knot,
      blocklistFile,
      gatewayEnv,
      profilesEnv,
      listedPid: listed.pid,
      servers,
      forwardFloor: {
        name: "floor",
        label: "forward floor",
        pid: floorForward.pid,
        https: `https://127.0.0.1:${forwardPorts.https}`,
        // No plain HTTP: no miss case asks over it.
        http: "",
        httpPid: floorForward.pid,
        udpPort: forwardPorts.udp,
        udpPid: floorForward.pid,
      },
      gatewayStderr: gateway.stderr,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits until the gateway has loaded its blocklists (they load in the background). */
async function listsLoaded(gateway: Gateway): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!/list bench: .*block/.test(gateway.stderr())) {
    if (Date.now() > deadline) throw new Error(`lists not loaded:\n${gateway.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
