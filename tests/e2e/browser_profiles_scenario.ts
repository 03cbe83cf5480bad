/**
 * What tests/e2e/browser_profiles_test.ts runs inside a network namespace with only loopback
 * (tests/support/netns.ts): knot serving the test zone, the gateway over HTTPS with a profiles
 * file in which "kids" blocks the page's name and "family" does not, and one real browser run
 * three times on a fresh profile each: with the parents' laptop's DoH URL, with the kids'
 * tablet's, and (the gateway restarted with CLIENTS_ONLY) with a ClientID nobody was given.
 * Prints one JSON line of what each run saw.
 *
 * `deno run --allow-all tests/e2e/browser_profiles_scenario.ts chromium|firefox`.
 */
import { type BrowserName, headingThroughDoh } from "../support/browser_doh.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE, testZoneText } from "../support/test_zone.ts";
import { makeCaSignedCertificate, tlsEnv } from "../support/tls.ts";

export const PAGE_NAME = `www.${TEST_ZONE}`;
export const HEADING = "hello from the test zone";

export const PROFILES = `profiles:
  family: {}
  kids:
    block: [${PAGE_NAME}]
clients:
  Parents' laptop:
    profile: family
    ids: [parents-laptop]
  Kids' tablet:
    profile: kids
    ids: [kids-tablet]
`;

export interface ProfileRun {
  /** The page's heading, "" when it did not load. */
  heading: string;
  /** The gateway's query log lines for the page's name (A and AAAA), parsed. */
  queries: Record<string, unknown>[];
  /** Requests the web server got. */
  requests: number;
}

export interface ProfilesRun {
  family: ProfileRun;
  kids: ProfileRun;
  stranger: ProfileRun & { refused: string };
}

async function scenario(browser: BrowserName): Promise<ProfilesRun> {
  const dir = await Deno.makeTempDir({ prefix: "browser-profiles-" });
  let requests = 0;
  const web = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    requests++;
    return new Response(`<!doctype html><title>test zone</title><h1>${HEADING}</h1>`, {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  });
  const knot = await startKnot({ zoneText: testZoneText({ httpAddress: "127.0.0.1" }) });
  const cert = await makeCaSignedCertificate(dir);
  const profilesFile = `${dir}/profiles.yaml`;
  await Deno.writeTextFile(profilesFile, PROFILES);
  const env = {
    UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
    PROFILES_FILE: profilesFile,
    // www points to the test's web server on loopback: a private answer for this zone.
    REBIND_ALLOW: TEST_ZONE,
    ADMIN_TOKEN: "browser-profiles-token-0123456789",
    ...tlsEnv(cert),
  };
  const url = `http://${PAGE_NAME}:${web.addr.port}/`;
  const run = async (gateway: Gateway, clientId: string): Promise<ProfileRun> => {
    const before = requests;
    const logged = gateway.stdout().length;
    const template = `https://127.0.0.1:${gateway.port}/dns-query/${clientId}`;
    const heading = await headingThroughDoh(browser, template, cert.caFile, url);
    // The log is written in batches: give the last lines their moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const queries = gateway.stdout().slice(logged).trim().split("\n").filter((line) => line)
      .map((line) => JSON.parse(line)).filter((entry) => entry.name === PAGE_NAME);
    return { heading, queries, requests: requests - before };
  };
  try {
    const open = await startGateway({ env });
    let family: ProfileRun;
    let kids: ProfileRun;
    try {
      family = await run(open, "parents-laptop");
      kids = await run(open, "kids-tablet");
    } finally {
      await open.stop();
    }
    const closed = await startGateway({ env: { ...env, CLIENTS_ONLY: "true" } });
    try {
      const stranger = await run(closed, "someone-else");
      const metrics = await (await fetch(`https://127.0.0.1:${closed.port}/metrics`, {
        client: Deno.createHttpClient({ caCerts: [await Deno.readTextFile(cert.caFile)] }),
      })).text();
      const refused = metrics.split("\n").filter((line) =>
        /refused/.test(line) && !line.startsWith("#")
      )
        .join("\n");
      return { family, kids, stranger: { ...stranger, refused } };
    } finally {
      await closed.stop();
    }
  } finally {
    await knot.stop();
    await web.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const browser = Deno.args[0];
  if (browser !== "chromium" && browser !== "firefox") {
    throw new Error(`usage: browser_profiles_scenario.ts chromium|firefox (not ${browser})`);
  }
  console.log(JSON.stringify(await scenario(browser)));
}
