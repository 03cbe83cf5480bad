/**
 * The classic doors a config asks for (UDP_PORT, TCP_PORT, DOT_PORT), opened together, with
 * the startup lines that describe them and one shutdown for all. A port that cannot be had is
 * a one-line ConfigError, like the HTTP door's; a runtime without UDP (Deno Deploy) gets one
 * line saying the UDP door is off, and everything else runs.
 */
import type { Config } from "../config.ts";
import type { Resolver } from "../pipeline/resolver.ts";
import type { ClientDirectory } from "../pipeline/profile.ts";
import { udpAvailable } from "../runtime/platform.ts";
import { AddressProof } from "./address_proof.ts";
import { cannotListen } from "./cannot_listen.ts";
import { CidrSet } from "../net/cidr.ts";
import { type DoorStats, newDoorStats } from "./connection_table.ts";
import { listenDot } from "./dot.ts";
import { type ClientRefusals, RateLimiter } from "../net/rate_limit.ts";
import { listenTcp } from "./tcp.ts";
import { UdpDoor, type UdpDoorStats } from "./udp.ts";
import { sharedSocketCalls } from "./udp_shared.ts";
import { waitAtMost } from "../runtime/wait_at_most.ts";

export interface DoorDeps {
  resolver: Pick<Resolver, "resolve">;
  /** PEM certificate and key, read from TLS_CERT/TLS_KEY; needed for DoT. */
  tls?: { cert: string; key: string };
  onError?: (error: unknown) => void;
  /**
   * One of several workers (WORKERS): every door shares its port, UDP through a socket of its
   * own over FFI (udp_shared.ts); where that cannot be had, UDP is left to the first worker on
   * Deno's socket, which cannot share one (it sets only SO_REUSEADDR, and one socket would get
   * every datagram).
   */
  worker?: { first: boolean };
  /** Who is who (pipeline/profile.ts); without it, the resolver says. */
  directory?: ClientDirectory;
  /** Where strangers refused (CLIENTS_ONLY) are counted, by door. */
  refusals?: ClientRefusals;
}

export interface OpenDoors {
  /** Startup lines: where each door listens, and warnings. */
  lines: string[];
  /** What the TCP and DoT doors count about their connections, by door. */
  stats: Record<string, DoorStats>;
  /** Stops taking queries, answers those under way (at most `graceMs`), then closes. */
  shutdown(graceMs: number): Promise<void>;
  /** The UDP door's counts, when it is open. */
  udpStats?: UdpDoorStats;
}

interface Door {
  readonly addr: Deno.NetAddr;
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function openDoors(config: Config, deps: DoorDeps): OpenDoors {
  const settings = config.dns;
  const allow = settings.allow && new CidrSet(settings.allow);
  const answer = {
    resolver: deps.resolver,
    onError: deps.onError,
    allow,
    directory: deps.directory,
    refusals: deps.refusals,
  };
  // A query over TCP or DoT proves its address for the UDP door (address_proof.ts).
  const proof = new AddressProof({ secret: settings.cookieSecret });
  const stream = {
    ...answer,
    resolver: {
      resolve: (raw, client) => {
        proof.sawOverConnection(client.address);
        return deps.resolver.resolve(raw, client);
      },
    } satisfies DoorDeps["resolver"],
    idleTimeoutMs: settings.tcpIdleTimeoutMs,
    maxInFlight: settings.tcpMaxInFlight,
    maxConnections: settings.tcpMaxConnections,
    maxPerClient: settings.tcpMaxPerClient,
    reusePort: deps.worker !== undefined,
  };
  const hostname = settings.host;
  const stats: Record<string, DoorStats> = {};
  const doors: Door[] = [];
  const lines: string[] = [];
  let udpStats: UdpDoorStats | undefined;
  /** Binds one door, or throws a one-line ConfigError naming its settings. */
  const open = <D extends Door>(
    variable: string,
    what: string,
    port: number,
    start: () => D,
    tls?: { certVariable: string; keyVariable: string },
  ): D => {
    let door: D;
    try {
      door = start();
    } catch (error) {
      throw cannotListen(`DNS_HOST="${hostname}" ${variable}="${port}"`, port, error, tls);
    }
    doors.push(door);
    lines.push(`${what} listening on ${hostPort(door.addr)}`);
    return door;
  };
  try {
    const { tcpPort, dotPort } = settings;
    const udpPort = settings.udpPort;
    const shared = udpPort === undefined || deps.worker === undefined
      ? undefined
      : sharedSocketCalls(hostname);
    if (udpPort !== undefined && !udpAvailable()) {
      lines.push("UDP door: off, this runtime has no UDP sockets (Deno Deploy); UDP_PORT ignored");
    } else if (typeof shared === "string" && deps.worker?.first === false) {
      lines.push(`UDP door: left to worker 1 (SO_REUSEPORT over FFI: ${shared})`);
    } else if (udpPort !== undefined) {
      if (typeof shared === "string") {
        lines.push(`UDP door: worker 1 alone (SO_REUSEPORT over FFI: ${shared})`);
      }
      const limiter = settings.udpRate && new RateLimiter(settings.udpRate);
      const door = open(
        "UDP_PORT",
        "DNS over UDP",
        udpPort,
        () =>
          new UdpDoor({
            ...answer,
            hostname,
            port: udpPort,
            maxSize: settings.udpMaxSize,
            limiter,
            proof,
            unprovenMaxSize: settings.udpUnprovenMaxSize,
            shared: typeof shared === "string" ? undefined : shared,
          }),
      );
      lines.push(`UDP datagrams: ${door.datagramPath}`);
      udpStats = door.stats;
    }
    if (tcpPort !== undefined) {
      open(
        "TCP_PORT",
        "DNS over TCP",
        tcpPort,
        () => listenTcp({ ...stream, hostname, port: tcpPort, stats: stats.tcp = newDoorStats() }),
      );
    }
    const tls = deps.tls;
    if (dotPort !== undefined && tls !== undefined) {
      const door = open(
        "DOT_PORT",
        "DNS over TLS",
        dotPort,
        () =>
          listenDot({
            ...stream,
            ...tls,
            hostname,
            port: dotPort,
            stats: stats.dot = newDoorStats(),
            clientIdDomain: settings.clientIdDomain,
          }),
        { certVariable: "TLS_CERT", keyVariable: "TLS_KEY" },
      );
      lines.push(`DoT handshakes cut short: sockets freed ${door.reaperStatus}`);
      const named = door.serverNameStatus;
      if (named !== undefined) {
        lines.push(
          named === "on"
            ? `DoT ClientIDs: read from server names <clientid>.${settings.clientIdDomain}`
            : `DoT ClientIDs: ${named}; DoT clients are known by their address`,
        );
      }
    }
  } catch (error) {
    for (const door of doors) void door.close();
    throw error;
  }
  const warning = doors.length > 0 ? exposureWarning(hostname, allow !== undefined) : undefined;
  if (warning !== undefined) lines.push(warning);
  return {
    lines,
    udpStats,
    stats,
    async shutdown(graceMs) {
      await waitAtMost(graceMs, Promise.all(doors.map((door) => door.drain())));
      await Promise.all(doors.map((door) => door.close()));
    },
  };
}

function hostPort(addr: Deno.NetAddr): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** The warning for doors any client on a network can reach with no allow-list, if due. */
export function exposureWarning(host: string, hasAllowList: boolean): string | undefined {
  if (hasAllowList || host === "localhost" || host === "::1" || /^127\./.test(host)) {
    return undefined;
  }
  return `warning: the DNS doors on ${host} answer any client; set DNS_ALLOW_CIDRS to the networks you serve`;
}
