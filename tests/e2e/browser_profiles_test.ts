/**
 * Real browsers with per-device DoH URLs (`/dns-query/<clientid>`): Chromium (POST) and Firefox
 * (GET), each given the parents' laptop's URL, then the kids' tablet's, load a page the "kids"
 * profile blocks and "family" does not: it loads under one and not the other, and the query log
 * names the client and its profile. With CLIENTS_ONLY, a browser with a ClientID nobody was
 * given resolves nothing, and the refusals are counted. All inside a network namespace with only
 * loopback; the scenario is tests/e2e/browser_profiles_scenario.ts.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { runInNetns } from "../support/netns.ts";
import type { BrowserName } from "../support/browser_doh.ts";
import { HEADING, type ProfilesRun } from "./browser_profiles_scenario.ts";

const PEERS = ["unshare", "ip", "knotd", "knotc", "openssl", "certutil"];

function assertPolicyPerDevice(run: ProfilesRun, method: "GET" | "POST"): void {
  const { family, kids, stranger } = run;
  assert.equal(family.heading, HEADING, "the parents' laptop loads the page");
  assert.ok(family.requests > 0);
  assert.ok(family.queries.length > 0);
  for (const query of family.queries) {
    assert.equal(query.profile, "family");
    assert.equal(query.clientName, "Parents' laptop");
    assert.equal(query.method, method);
    assert.notEqual(query.source, "blocked");
  }
  assert.notEqual(kids.heading, HEADING, "the kids' tablet does not");
  assert.equal(kids.requests, 0, "the web server never heard from it");
  assert.ok(kids.queries.length > 0);
  for (const query of kids.queries) {
    assert.equal(query.profile, "kids");
    assert.equal(query.clientName, "Kids' tablet");
    assert.equal(query.source, "blocked");
  }
  assert.notEqual(stranger.heading, HEADING, "a stranger resolves nothing");
  assert.equal(stranger.requests, 0);
  assert.deepEqual(stranger.queries, [], "nothing of its reached the pipeline");
  assert.match(stranger.refused, /door="doh"[^\n]* [1-9]\d*$/m, "its refusals counted");
}

async function runFor(browser: BrowserName): Promise<ProfilesRun> {
  return await runInNetns<ProfilesRun>("tests/e2e/browser_profiles_scenario.ts", [browser]);
}

Deno.test({
  name:
    "Chromium: the kids' tablet's URL blocks what the parents' laptop's loads; strangers get nothing",
  ...integration([...PEERS, "chromium"]),
  async fn() {
    assertPolicyPerDevice(await runFor("chromium"), "POST");
  },
});

Deno.test({
  name:
    "Firefox: the kids' tablet's URL blocks what the parents' laptop's loads; strangers get nothing",
  ...integration([...PEERS, "firefox-esr"]),
  async fn() {
    assertPolicyPerDevice(await runFor("firefox"), "GET");
  },
});
