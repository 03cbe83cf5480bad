/**
 * TTL bounds on the real gateway in front of a real knot serving TTLs of 300, 2³¹−1 and
 * 2³²−1: every answer, the first included, is within CACHE_MIN_TTL..CACHE_MAX_TTL over DoH
 * (GET and POST, TTLs and cache-control) and UDP, and a TTL with its top bit set counts as 0
 * (RFC 2181 §8): passed on as 0 and never cached.
 */
import assert from "node:assert/strict";
import { decodeMessage, type Message, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE, testZoneText } from "../support/test_zone.ts";

const ZONE_TEXT = testZoneText() + [
  "plain 300 A 192.0.2.1",
  "plain-udp 300 A 192.0.2.1",
  "longest 2147483647 A 192.0.2.2",
  "longest-udp 2147483647 A 192.0.2.2",
  "top-bit 4294967295 A 192.0.2.3",
  "top-bit-udp 4294967295 A 192.0.2.3",
  "",
].join("\n");

interface Asked {
  reply: Message;
  cacheControl: string | null;
}

async function viaGet(gateway: Gateway, name: string): Promise<Asked> {
  const dns = makeQuery(`${name}.${TEST_ZONE}`, RType.A, { id: 0, edns: {} })
    .toBase64({ alphabet: "base64url", omitPadding: true });
  const response = await fetch(`${gateway.url}/dns-query?dns=${dns}`);
  assert.equal(response.status, 200);
  const reply = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  return { reply, cacheControl: response.headers.get("cache-control") };
}

async function viaPost(gateway: Gateway, name: string): Promise<Asked> {
  const response = await fetch(`${gateway.url}/dns-query`, {
    method: "POST",
    headers: { "content-type": "application/dns-message" },
    body: makeQuery(`${name}.${TEST_ZONE}`, RType.A, { id: 0, edns: {} }),
  });
  assert.equal(response.status, 200);
  const reply = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  return { reply, cacheControl: response.headers.get("cache-control") };
}

async function viaUdp(gateway: Gateway, name: string): Promise<number> {
  const port = String(doorPort(gateway, "UDP"));
  const output = await new Deno.Command("dig", {
    args: ["@127.0.0.1", "-p", port, "+noall", "+answer", "+tries=1", `${name}.${TEST_ZONE}`, "A"],
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const ttl = /\s(\d+)\s+IN\s+A\s/.exec(text)?.[1];
  assert.ok(ttl !== undefined, `no A record in:\n${text}`);
  return Number(ttl);
}

function assertTtl(asked: Asked, ttl: number, what: string): void {
  assert.deepEqual(asked.reply.answers.map((record) => record.ttl), [ttl], what);
  assert.equal(asked.cacheControl, `max-age=${ttl}`, what);
}

Deno.test({
  name: "CACHE_MAX_TTL bounds the first answer too, and a TTL of 2³² − 1 is 0 and not cached",
  ...integration(["knotd", "knotc", "dig"]),
  async fn() {
    const knot = await startKnot({ zoneText: ZONE_TEXT });
    const gateway = await startGateway({
      env: { UPSTREAMS: `udp://127.0.0.1:${knot.port}`, CACHE_MAX_TTL: "60", UDP_PORT: "0" },
    });
    try {
      // knot serves the TTLs as written: the bounds are the gateway's doing.
      const direct = await new Deno.Command("dig", {
        args: ["@127.0.0.1", "-p", String(knot.port), "+noall", "+answer", `top-bit.${TEST_ZONE}`],
      }).output();
      assert.match(new TextDecoder().decode(direct.stdout), /\s4294967295\s+IN\s+A\s/);

      assertTtl(await viaGet(gateway, "plain"), 60, "first GET");
      assertTtl(await viaGet(gateway, "plain"), 60, "second GET, from the cache");
      assertTtl(await viaPost(gateway, "longest"), 60, "first POST of 2³¹ − 1");
      assertTtl(await viaPost(gateway, "longest"), 60, "second POST of 2³¹ − 1");
      assert.equal(await viaUdp(gateway, "plain-udp"), 60, "first UDP answer");
      assert.equal(await viaUdp(gateway, "longest-udp"), 60, "first UDP answer of 2³¹ − 1");

      const before = await knot.queryCount();
      assertTtl(await viaGet(gateway, "top-bit"), 0, "first GET of 2³² − 1");
      assertTtl(await viaPost(gateway, "top-bit"), 0, "POST of 2³² − 1");
      assert.equal(await viaUdp(gateway, "top-bit-udp"), 0, "UDP answer of 2³² − 1");
      assert.equal(await viaUdp(gateway, "top-bit-udp"), 0, "UDP answer of 2³² − 1 again");
      assert.equal(await knot.queryCount() - before, 4, "a TTL of 0 is never cached");
    } finally {
      await gateway.stop();
      await knot.stop();
    }
  },
});
