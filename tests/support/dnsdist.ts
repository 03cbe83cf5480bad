/**
 * dnsdist (PowerDNS's load balancer) in front of a test upstream, offering it over DoT and
 * DoH with the test certificate: the real encrypted upstreams our tls:// and https://
 * transports are tested against, and the peer the speed benchmark compares with.
 */
import { requireBinary } from "./binaries.ts";
import { type KnotServer, startKnot } from "./knot.ts";
import { spawnPeer } from "./peer_process.ts";
import { freeDnsPort, freePort } from "./ports.ts";
import { TEST_ZONE } from "./test_zone.ts";
import { makeCertificate, type TestCertificate } from "./tls.ts";

export interface Dnsdist {
  /** Plain UDP/TCP listener. */
  dnsPort: number;
  /** DNS over TLS listener. */
  dotPort: number;
  /** DoH listener; the endpoint is https://127.0.0.1:<dohPort>/dns-query. */
  dohPort: number;
  /** dnsdist's process id (benchmarks pin it and read its CPU time). */
  pid: number;
  stop(): Promise<void>;
}

export interface DnsdistOptions {
  /** The server dnsdist forwards to. */
  upstream: { host: string; port: number };
  cert: TestCertificate;
  /** A name the upstream answers, for dnsdist's health checks (SOA query). */
  checkName: string;
  /** Extra Lua lines (e.g. a packet cache). */
  extraConfig?: string;
  /** Paths the DoH listener answers; `/dns-query` alone by default. */
  dohPaths?: string[];
}

const START_TIMEOUT_MS = 10_000;

/** Starts dnsdist in the foreground and waits until its TLS and DoH listeners accept. */
export async function startDnsdist(options: DnsdistOptions): Promise<Dnsdist> {
  requireBinary("dnsdist");
  const dir = await Deno.makeTempDir({ prefix: "dnsdist-test-" });
  const ports = { dnsPort: freeDnsPort(), dotPort: freePort(), dohPort: freePort() };
  const { cert, upstream } = options;
  const config = [
    'setSecurityPollSuffix("")',
    `setLocal("127.0.0.1:${ports.dnsPort}")`,
    'setACL({"127.0.0.0/8"})',
    // Health checks once an hour, not every second: tests count the queries knot gets, and a
    // check landing between two counts made one of them flaky.
    `newServer({address="${upstream.host}:${upstream.port}", ` +
    `checkName="${options.checkName}.", checkType="SOA", checkInterval=3600})`,
    `addTLSLocal("127.0.0.1:${ports.dotPort}", "${cert.certFile}", "${cert.keyFile}")`,
    `addDOHLocal("127.0.0.1:${ports.dohPort}", "${cert.certFile}", "${cert.keyFile}", ` +
    `{${(options.dohPaths ?? ["/dns-query"]).map((path) => `"${path}"`).join(", ")}})`,
    options.extraConfig ?? "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/dnsdist.conf`, config);
  const peer = spawnPeer("dnsdist", [
    "--supervised",
    "--disable-syslog",
    "-C",
    `${dir}/dnsdist.conf`,
  ], dir);
  try {
    await waitForListener(ports.dotPort, peer.exited);
    await waitForListener(ports.dohPort, peer.exited);
    return { ...ports, pid: peer.pid, stop: peer.stop };
  } catch (error) {
    await peer.stop();
    throw new Error(`dnsdist did not start: ${(error as Error).message}\n${peer.log()}`);
  }
}

export interface EncryptedUpstream {
  /** The certificate dnsdist presents (trust it with `caCerts: [cert.cert]`). */
  cert: TestCertificate;
  knot: KnotServer;
  dnsdist: Dnsdist;
  dotUrl: string;
  dohUrl: string;
  stop(): Promise<void>;
}

/** knot serving the test zone behind dnsdist's DoT and DoH listeners, with a fresh certificate. */
export async function startEncryptedUpstream(): Promise<EncryptedUpstream> {
  const dir = await Deno.makeTempDir({ prefix: "encrypted-upstream-" });
  const cert = await makeCertificate(dir);
  const knot = await startKnot();
  const dnsdist = await startDnsdist({
    upstream: { host: "127.0.0.1", port: knot.port },
    cert,
    checkName: TEST_ZONE,
  }).catch(async (error) => {
    await knot.stop();
    throw error;
  });
  return {
    cert,
    knot,
    dnsdist,
    dotUrl: `tls://127.0.0.1:${dnsdist.dotPort}`,
    dohUrl: `https://127.0.0.1:${dnsdist.dohPort}/dns-query`,
    async stop() {
      await dnsdist.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function waitForListener(port: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (true) {
    if (exited()) throw new Error("dnsdist exited");
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing listening on ${port} in time`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
