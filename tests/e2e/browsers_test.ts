/**
 * Real browsers with the gateway as their only resolver: Chromium in secure-DNS mode (POST)
 * and Firefox in TRR-only mode (GET), each on a fresh profile that trusts the test CA, load a
 * page whose name only the gateway's upstream (knot's test zone) knows. Everything runs in a
 * network namespace with only loopback (tests/support/netns.ts), so the name can have come
 * from nowhere else; the scenario itself is tests/e2e/browser_dns_scenario.ts.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { runInNetns } from "../support/netns.ts";
import { type BrowserName, type BrowserRun, HEADING, PAGE_NAME } from "./browser_dns_scenario.ts";

const PEERS = ["unshare", "ip", "getent", "knotd", "knotc", "openssl", "certutil"];

async function loadThroughGateway(browser: BrowserName): Promise<BrowserRun> {
  return await runInNetns<BrowserRun>("tests/e2e/browser_dns_scenario.ts", [browser]);
}

function assertResolvedOnlyThroughGateway(run: BrowserRun, method: "GET" | "POST"): void {
  assert.notEqual(run.systemResolver.code, 0, `the system resolver knows ${PAGE_NAME}`);
  assert.equal(run.systemResolver.output, "");

  assert.equal(run.heading, HEADING);
  assert.deepEqual(run.requests[0], { host: `${PAGE_NAME}:${run.webPort}`, path: "/" });

  const page = run.queries.filter((q) => q.name === PAGE_NAME && q.type === "A");
  assert.ok(page.length > 0, `no A query for ${PAGE_NAME} in ${JSON.stringify(run.queries)}`);
  for (const query of page) {
    assert.equal(query.door, "doh");
    assert.equal(query.client, "127.0.0.1");
    assert.equal(query.rcode, 0);
    assert.ok(query.source === "upstream" || query.source === "cache", String(query.source));
  }
  assert.ok(run.upstreamQueries > 0, "the gateway asked knot");
  const methods = new Set(run.queries.map((q) => q.method));
  assert.deepEqual([...methods], [method], "every DoH query of this browser");
}

Deno.test({
  name: "Chromium in secure DNS mode loads a page whose name only the gateway's upstream knows",
  ...integration([...PEERS, "chromium"]),
  async fn() {
    assertResolvedOnlyThroughGateway(await loadThroughGateway("chromium"), "POST");
  },
});

Deno.test({
  name: "Firefox in TRR-only mode loads a page whose name only the gateway's upstream knows",
  ...integration([...PEERS, "firefox-esr"]),
  async fn() {
    assertResolvedOnlyThroughGateway(await loadThroughGateway("firefox"), "GET");
  },
});
