/**
 * Which address is the client's: the connection's, unless it comes from a trusted proxy;
 * then the right-most forwarded address that is not a trusted proxy. Nothing a client writes
 * itself is believed.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { clientBehind } from "../../routes/client_address.ts";
import { CidrSet, parseCidr } from "../../net/cidr.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const trusted = new CidrSet(["10.0.0.0/8", "2001:db8:1::/48"].map((text) => parseCidr(text)!));
const client = (peer: string, headers: Record<string, string>) =>
  clientBehind(peer, new Headers(headers), trusted);

Deno.test("a peer that is no trusted proxy is the client, whatever it forwards", () => {
  assert.equal(client("198.51.100.7", { "x-forwarded-for": "192.0.2.1" }), "198.51.100.7");
  assert.equal(client("198.51.100.7", { forwarded: "for=192.0.2.1" }), "198.51.100.7");
});

Deno.test("behind a trusted proxy the client is the right-most address not itself trusted", () => {
  assert.equal(client("10.0.0.2", { "x-forwarded-for": "192.0.2.1" }), "192.0.2.1");
  // The client wrote "203.0.113.66" itself; the proxies appended what they saw.
  assert.equal(
    client("10.0.0.2", { "x-forwarded-for": "203.0.113.66, 192.0.2.1, 10.1.1.1" }),
    "192.0.2.1",
  );
  assert.equal(client("10.0.0.2", {}), "10.0.0.2", "no header: the proxy itself");
  assert.equal(
    client("10.0.0.2", { "x-forwarded-for": "10.0.0.9, 10.1.1.1" }),
    "10.0.0.9",
    "every hop trusted: the first",
  );
});

Deno.test("forwarded addresses lose ports, brackets and quotes; IPv6 is lowercased", () => {
  assert.equal(client("10.0.0.2", { "x-forwarded-for": "192.0.2.1:5555" }), "192.0.2.1");
  assert.equal(client("10.0.0.2", { "x-forwarded-for": "[2001:DB8::7]:443" }), "2001:db8::7");
  assert.equal(
    client("10.0.0.2", { forwarded: 'for="[2001:db8:cafe::17]:4711";proto=https' }),
    "2001:db8:cafe::17",
  );
  assert.equal(
    client("2001:db8:1::5", {
      forwarded: "for=192.0.2.60;proto=http;by=203.0.113.43, For=2001:db8:1::9",
    }),
    "192.0.2.60",
  );
});

Deno.test("an entry that is no address stops at the proxy that passed it on", () => {
  assert.equal(client("10.0.0.2", { "x-forwarded-for": "1.2.3.4, unknown" }), "10.0.0.2");
  assert.equal(client("10.0.0.2", { forwarded: 'for="_hidden", for=10.0.0.7' }), "10.0.0.7");
  assert.equal(client("10.0.0.2", { forwarded: "proto=https" }), "10.0.0.2");
  assert.equal(client("10.0.0.2", { "x-forwarded-for": "" }), "10.0.0.2");
});

Deno.test("X-Forwarded-For wins over Forwarded when a request carries both", () => {
  assert.equal(
    client("10.0.0.2", { "x-forwarded-for": "192.0.2.1", forwarded: "for=203.0.113.66" }),
    "192.0.2.1",
  );
});

Deno.test("the query log names the client behind a trusted proxy, and the peer otherwise", async () => {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const app = createApp({
    resolver: localResolver({ "www.example": ["192.0.2.1"] }, { log }),
    trustedProxies: trusted,
  });
  const ask = (peer: string) =>
    app.request(
      "/dns-query",
      {
        method: "POST",
        body: makeQuery("www.example", RType.A),
        headers: {
          "content-type": "application/dns-message",
          "x-forwarded-for": "203.0.113.66, 192.0.2.44",
        },
      },
      { remoteAddr: { transport: "tcp", hostname: peer, port: 443 } },
    );
  assert.equal((await ask("10.0.0.2")).status, 200);
  assert.equal((await ask("198.51.100.7")).status, 200);
  const json = await app.request("/resolve?name=www.example", {
    headers: { "x-forwarded-for": "192.0.2.45" },
  }, { remoteAddr: { transport: "tcp", hostname: "10.0.0.2", port: 443 } });
  assert.equal(json.status, 200);
  assert.deepEqual(log.recent().map((entry) => [entry.door, entry.client]), [
    ["doh", "192.0.2.44"],
    ["doh", "198.51.100.7"],
    ["json", "192.0.2.45"],
  ]);
});
