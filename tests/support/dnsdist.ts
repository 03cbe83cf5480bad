/**
 * dnsdist (PowerDNS's load balancer) in front of a test upstream, offering it over DoT and
 * DoH with the test certificate: the real encrypted upstreams our tls:// and https://
 * transports are tested against, and the peer the speed benchmark compares with.
 */
import { requireBinary } from "./binaries.ts";
import { freeDnsPort, freePort } from "./ports.ts";
import type { TestCertificate } from "./tls.ts";

export interface Dnsdist {
  /** Plain UDP/TCP listener. */
  dnsPort: number;
  /** DNS over TLS listener. */
  dotPort: number;
  /** DoH listener; the endpoint is https://127.0.0.1:<dohPort>/dns-query. */
  dohPort: number;
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
    `newServer({address="${upstream.host}:${upstream.port}", ` +
    `checkName="${options.checkName}.", checkType="SOA"})`,
    `addTLSLocal("127.0.0.1:${ports.dotPort}", "${cert.certFile}", "${cert.keyFile}")`,
    `addDOHLocal("127.0.0.1:${ports.dohPort}", "${cert.certFile}", "${cert.keyFile}", ` +
    '"/dns-query")',
    options.extraConfig ?? "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/dnsdist.conf`, config);
  const child = new Deno.Command("dnsdist", {
    args: ["--supervised", "--disable-syslog", "-C", `${dir}/dnsdist.conf`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]).then((parts) => parts.join(""));
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await status;
      await output;
      await Deno.remove(dir, { recursive: true });
    })();
  try {
    await waitForListener(ports.dotPort, () => exited);
    await waitForListener(ports.dohPort, () => exited);
    return { ...ports, stop };
  } catch (error) {
    await stop();
    throw new Error(`dnsdist did not start: ${(error as Error).message}\n${await output}`);
  }
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
