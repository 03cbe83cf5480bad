/**
 * TTL bounds on the real gateway in front of a real knot serving TTLs of 300, 2³¹−1 and
 * 2³²−1: every answer, the first included, is within CACHE_MIN_TTL..CACHE_MAX_TTL over DoH
 * (GET and POST, TTLs and cache-control) and UDP, and a TTL with its top bit set counts as 0
 * (RFC 2181 §8): passed on as 0 and never cached.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { askDoh, type DohReply } from "../support/doh.ts";
import { type Gateway } from "../support/gateway.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE, testZoneText } from "../support/test_zone.ts";
import { runToEnd } from "../support/tools.ts";

const ZONE_TEXT = testZoneText() + [
  "plain 300 A 192.0.2.1",
  "plain-udp 300 A 192.0.2.1",
  "longest 2147483647 A 192.0.2.2",
  "longest-udp 2147483647 A 192.0.2.2",
  "top-bit 4294967295 A 192.0.2.3",
  "top-bit-udp 4294967295 A 192.0.2.3",
  "",
].join("\n");

const viaGet = (gateway: Gateway, name: string) =>
  askDoh(gateway.url, `${name}.${TEST_ZONE}`, RType.A, { id: 0, edns: {}, method: "GET" });

const viaPost = (gateway: Gateway, name: string) =>
  askDoh(gateway.url, `${name}.${TEST_ZONE}`, RType.A, { id: 0, edns: {} });

async function viaUdp(gateway: Gateway, name: string): Promise<number> {
  const port = String(doorPort(gateway, "UDP"));
  const args = [
    "@127.0.0.1",
    "-p",
    port,
    "+noall",
    "+answer",
    "+tries=1",
    `${name}.${TEST_ZONE}`,
    "A",
  ];
  const { stdout: text } = await runToEnd("dig", args);
  const ttl = /\s(\d+)\s+IN\s+A\s/.exec(text)?.[1];
  assert.ok(ttl !== undefined, `no A record in:\n${text}`);
  return Number(ttl);
}

function assertTtl(asked: DohReply, ttl: number, what: string): void {
  assert.deepEqual(asked.reply.answers.map((record) => record.ttl), [ttl], what);
  assert.equal(asked.cacheControl, `max-age=${ttl}`, what);
}

Deno.test({
  name: "CACHE_MAX_TTL bounds the first answer too, and a TTL of 2³² − 1 is 0 and not cached",
  ...integration(["knotd", "knotc", "dig"]),
  async fn() {
    await withKnotGateway({
      knot: { zoneText: ZONE_TEXT },
      env: { CACHE_MAX_TTL: "60", UDP_PORT: "0" },
    }, async (gateway, knot) => {
      // knot serves the TTLs as written: the bounds are the gateway's doing.
      const direct = await runToEnd("dig", [
        "@127.0.0.1",
        "-p",
        String(knot.port),
        "+noall",
        "+answer",
        `top-bit.${TEST_ZONE}`,
      ]);
      assert.match(direct.stdout, /\s4294967295\s+IN\s+A\s/);

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
    });
  },
});
