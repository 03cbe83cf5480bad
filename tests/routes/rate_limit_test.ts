/**
 * The per-client rate limit of DoH and the JSON API through `app.request()`: a burst, then
 * 429 with Retry-After; clients apart, and apart behind a trusted proxy too; nothing a client
 * writes in its headers gets it a fresh bucket.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { RType } from "../../dns/mod.ts";
import { CidrSet, parseCidr } from "../../net/cidr.ts";
import { RateLimiter } from "../../net/rate_limit.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const QUERY = makeQuery("www.example", RType.A).toBase64({
  alphabet: "base64url",
  omitPadding: true,
});

function limitedApp() {
  let now = 1_000_000;
  const app = createApp({
    resolver: localResolver({ "www.example": ["192.0.2.1"] }),
    // 2 per second, 3 at once.
    rateLimiter: new RateLimiter({ rate: 2, burst: 3, now: () => now }),
    trustedProxies: new CidrSet([parseCidr("10.0.0.1")!]),
  });
  const from = (address: string, path = `/dns-query?dns=${QUERY}`, headers = {}) =>
    app.request(path, { headers }, {
      remoteAddr: { transport: "tcp", hostname: address, port: 443 },
    });
  return { from, advance: (ms: number) => void (now += ms) };
}

const statuses = (responses: Response[]) => responses.map((response) => response.status);

Deno.test("a client over its burst gets 429 with Retry-After until its bucket refills", async () => {
  const { from, advance } = limitedApp();
  const burst = [];
  for (let i = 0; i < 5; i++) burst.push(await from("192.0.2.7"));
  assert.deepEqual(statuses(burst), [200, 200, 200, 429, 429]);
  const refused = burst[3];
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.equal(await refused.text(), "too many queries from this address: slow down\n");
  advance(499);
  assert.equal((await from("192.0.2.7")).status, 429);
  advance(1);
  assert.equal((await from("192.0.2.7")).status, 200, "one token in 500 ms");
  assert.equal((await from("192.0.2.8")).status, 200, "another client has its own bucket");
});

Deno.test("the JSON API shares the bucket and says 429 in JSON", async () => {
  const { from } = limitedApp();
  for (let i = 0; i < 3; i++) await from("192.0.2.7");
  for (const path of ["/resolve?name=www.example", "/dns-query?name=www.example"]) {
    const response = await from("192.0.2.7", path);
    assert.equal(response.status, 429);
    assert.ok(response.headers.get("retry-after"));
    assert.deepEqual(await response.json(), {
      error: "too many queries from this address: slow down",
    });
  }
});

Deno.test("clients behind a trusted proxy are limited apart; others cannot forge a new address", async () => {
  const { from } = limitedApp();
  const via = (client: string) =>
    from("10.0.0.1", `/dns-query?dns=${QUERY}`, { "x-forwarded-for": client });
  const first = [];
  for (let i = 0; i < 4; i++) first.push(await via("192.0.2.1"));
  assert.deepEqual(statuses(first), [200, 200, 200, 429]);
  assert.equal((await via("192.0.2.2")).status, 200, "the proxy's next client is served");
  const forged = [];
  for (let i = 0; i < 4; i++) {
    forged.push(
      await from("198.51.100.9", `/dns-query?dns=${QUERY}`, { "x-forwarded-for": `192.0.2.${i}` }),
    );
  }
  assert.deepEqual(statuses(forged), [200, 200, 200, 429], "an untrusted peer is its own client");
});

Deno.test("/health and other paths are not rate limited", async () => {
  const { from } = limitedApp();
  for (let i = 0; i < 10; i++) assert.equal((await from("192.0.2.7", "/health")).status, 200);
});
