/**
 * What tests/e2e/browsers_test.ts runs inside a network namespace with only loopback (see
 * tests/support/netns.ts): knot serving the test zone, the gateway over HTTPS in front of it,
 * a web server, and one real browser whose only resolver is the gateway, loading a page under
 * a name that only knot's zone holds. Prints one JSON line of what each party saw.
 *
 * `deno run --allow-all tests/e2e/browser_dns_scenario.ts chromium|firefox` (in the namespace).
 */
import { type BrowserName, headingThroughDoh } from "../support/browser_doh.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE, testZoneText } from "../support/test_zone.ts";
import { makeCaSignedCertificate, tlsEnv } from "../support/tls.ts";

export type { BrowserName };

export interface BrowserRun {
  /** The page's first heading, as the browser shows it. */
  heading: string;
  /** The web server's view of each request: Host header and path. */
  requests: { host: string; path: string }[];
  /** The gateway's query log, one parsed JSON line per query. */
  queries: Record<string, unknown>[];
  /** Queries knot answered: the gateway did ask its upstream. */
  upstreamQueries: number;
  /** `getent hosts` for the page's name: the system resolver's answer (exit 2: not found). */
  systemResolver: { code: number; output: string };
  /** The web server's port, so the test knows the Host header to expect. */
  webPort: number;
}

export const PAGE_NAME = `www.${TEST_ZONE}`;
export const HEADING = "hello from the test zone";

async function scenario(browserName: BrowserName): Promise<BrowserRun> {
  const dir = await Deno.makeTempDir({ prefix: "browser-dns-" });
  const requests: BrowserRun["requests"] = [];
  const web = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    requests.push({ host: request.headers.get("host") ?? "", path: new URL(request.url).pathname });
    return new Response(`<!doctype html><title>test zone</title><h1>${HEADING}</h1>`, {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  });
  const knot = await startKnot({ zoneText: testZoneText({ httpAddress: "127.0.0.1" }) });
  const cert = await makeCaSignedCertificate(dir);
  const gateway = await startGateway({
    env: {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      // www points to the test's web server on loopback: a private answer for this zone.
      REBIND_ALLOW: TEST_ZONE,
      ...tlsEnv(cert),
    },
  });
  const doh = `https://127.0.0.1:${gateway.port}/dns-query`;
  const url = `http://${PAGE_NAME}:${web.addr.port}/`;
  try {
    const systemResolver = await getent(PAGE_NAME);
    const heading = await headingThroughDoh(browserName, doh, cert.caFile, url);
    const log = await gateway.waitForStdout((out) => out.includes(`"name":"${PAGE_NAME}"`));
    return {
      heading,
      requests,
      queries: log.trim().split("\n").filter((line) => line).map((line) => JSON.parse(line)),
      upstreamQueries: await knot.queryCount(),
      systemResolver,
      webPort: web.addr.port,
    };
  } finally {
    await gateway.stop();
    await knot.stop();
    await web.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The system resolver (NSS: /etc/hosts, then the nameservers of /etc/resolv.conf). */
async function getent(name: string): Promise<BrowserRun["systemResolver"]> {
  const output = await new Deno.Command("getent", {
    args: ["hosts", name],
    stdin: "null",
    stderr: "null",
    signal: AbortSignal.timeout(10_000),
  }).output();
  return { code: output.code, output: new TextDecoder().decode(output.stdout).trim() };
}

if (import.meta.main) {
  const browserName = Deno.args[0];
  if (browserName !== "chromium" && browserName !== "firefox") {
    throw new Error(`usage: browser_dns_scenario.ts chromium|firefox (not ${browserName})`);
  }
  console.log(JSON.stringify(await scenario(browserName)));
}
