/**
 * FORWARD_CLIENT_SUBNET=on in front of a real knot whose answers depend on the client's
 * subnet (its geoip module: 1.2.3.0/24, 5.6.0.0/16, everything else), over DoH GET and POST
 * (through the answer memo) and UDP: each client gets the answer for its own subnet, its own
 * client-subnet option back with the scope knot gave (RFC 7871 §7.2.2), never another
 * client's; an answer is reused within the scope it came with (§7.3), scope 0 for everyone;
 * and a second gateway sharing the Redis tier keeps to the same rule.
 */
import assert from "node:assert/strict";
import {
  decodeClientSubnet,
  type EdnsOption,
  EdnsOptionCode,
  encodeClientSubnet,
  findOption,
  type Message,
  parseIpv4,
  RType,
} from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { dohExchange } from "../support/doh.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { knotGeoip, startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { runToEnd } from "../support/tools.ts";

const NAME = `geo.${TEST_ZONE}`;
const SUBNET_ANSWERS = `${NAME}:
  - net: 1.2.3.0/24
    A: 192.0.2.1
  - net: 5.6.0.0/16
    A: 192.0.2.5
  - net: 0.0.0.0/0
    A: 192.0.2.99
`;

/** A client-subnet option for `subnet` ("1.2.3.0/24"), scope 0 as a client sends it. */
function subnetOption(subnet: string): EdnsOption {
  const [address, prefix] = subnet.split("/");
  const source = Number(prefix);
  const bytes = parseIpv4(address)!.subarray(0, Math.ceil(source / 8));
  return encodeClientSubnet({ family: 1, sourcePrefix: source, scopePrefix: 0, address: bytes });
}

function query(subnet: string | undefined): Uint8Array<ArrayBuffer> {
  const options = subnet === undefined ? [] : [subnetOption(subnet)];
  return makeQuery(NAME, RType.A, { id: 0, edns: { options } });
}

interface Seen {
  address: string;
  /** The client-subnet option of the reply as "1.2.3.0/24/24", or undefined when it has none. */
  subnet: string | undefined;
}

function seen(reply: Message): Seen {
  assert.equal(reply.answers.length, 1, "one A record");
  const option = reply.edns && findOption(reply.edns, EdnsOptionCode.CLIENT_SUBNET);
  const subnet = option && decodeClientSubnet(option.data);
  const address = subnet && [...subnet.address, 0, 0, 0, 0].slice(0, 4).join(".");
  return {
    address: (reply.answers[0].data as { address: string }).address,
    subnet: subnet && `${address}/${subnet.sourcePrefix}/${subnet.scopePrefix}`,
  };
}

const viaGet = async (gateway: Gateway, subnet?: string): Promise<Seen> =>
  seen((await dohExchange(gateway.url, query(subnet), { method: "GET" })).reply);

const viaPost = async (gateway: Gateway, subnet?: string): Promise<Seen> =>
  seen((await dohExchange(gateway.url, query(subnet))).reply);

async function viaUdp(gateway: Gateway, subnet: string): Promise<Seen> {
  const port = String(doorPort(gateway, "UDP"));
  const args = ["@127.0.0.1", "-p", port, `+subnet=${subnet}`, "+timeout=2", NAME, "A"];
  const { stdout: text } = await runToEnd("kdig", args);
  const address = new RegExp(`^${NAME}\\.\\s+\\d+\\s+IN\\s+A\\s+(\\S+)$`, "m").exec(text)?.[1];
  assert.ok(address !== undefined, `no A record in:\n${text}`);
  return { address, subnet: /CLIENT-SUBNET: (\S+)/.exec(text)?.[1] };
}

const own = (address: string, subnet?: string) => ({ address, subnet });

Deno.test({
  name: "with FORWARD_CLIENT_SUBNET=on each client gets its own subnet's answer and option",
  ...integration(["knotd", "knotc", "kdig"]),
  ...knotGeoip(),
  async fn() {
    await withKnotGateway({
      knot: { subnetAnswers: SUBNET_ANSWERS },
      env: {
        FORWARD_CLIENT_SUBNET: "on",
        UDP_PORT: "0",
      },
    }, async (gateway, knot) => {
      const before = await knot.queryCount();
      // Three times each: the memo keeps a GET or POST from its second sight on.
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await viaGet(gateway, "1.2.3.0/24"), own("192.0.2.1", "1.2.3.0/24/24"));
        assert.deepEqual(await viaGet(gateway, "5.6.7.0/24"), own("192.0.2.5", "5.6.7.0/24/16"));
        assert.deepEqual(await viaGet(gateway), own("192.0.2.99"), "no option for none sent");
        assert.deepEqual(await viaPost(gateway, "9.9.0.0/16"), own("192.0.2.99", "9.9.0.0/16/0"));
      }
      assert.equal(await knot.queryCount() - before, 4, "one upstream query per subnet");

      // Within a scope knot gave, from the cache: 5.6.0.0/16 for 5.6.9.0/24, 0 for anyone.
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await viaPost(gateway, "5.6.9.0/24"), own("192.0.2.5", "5.6.9.0/24/16"));
        assert.deepEqual(await viaGet(gateway, "0.0.0.0/0"), own("192.0.2.99", "0.0.0.0/0/0"));
      }
      assert.deepEqual(await viaUdp(gateway, "7.7.7.0/24"), own("192.0.2.99", "7.7.7.0/24/0"));
      assert.deepEqual(await viaUdp(gateway, "1.2.3.4/32"), own("192.0.2.1", "1.2.3.4/32/24"));
      assert.deepEqual(await viaUdp(gateway, "5.6.7.0/24"), own("192.0.2.5", "5.6.7.0/24/16"));
      assert.equal(await knot.queryCount() - before, 4, "all of these from the cache");

      // 1.2.3.0/24's answer is not for 1.2.0.0/16 (knot gave it for /24 only): the scope 0 one is.
      assert.deepEqual(await viaUdp(gateway, "1.2.0.0/16"), own("192.0.2.99", "1.2.0.0/16/0"));
      assert.equal(await knot.queryCount() - before, 4);
    });
  },
});

Deno.test({
  name: "a second gateway takes from the shared Redis tier only answers within their scope",
  ...integration(["knotd", "knotc", "redis-server"]),
  ...knotGeoip(),
  async fn() {
    const knot = await startKnot({ subnetAnswers: SUBNET_ANSWERS });
    const redis = await startRedis();
    const env = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      FORWARD_CLIENT_SUBNET: "on",
      REDIS_URL: redis.url,
    };
    const first = await startGateway({ env });
    const second = await startGateway({ env });
    try {
      const before = await knot.queryCount();
      assert.deepEqual(await viaPost(first, "1.2.3.0/24"), own("192.0.2.1", "1.2.3.0/24/24"));
      assert.deepEqual(await viaPost(first, "9.9.0.0/16"), own("192.0.2.99", "9.9.0.0/16/0"));
      await new Promise((resolve) => setTimeout(resolve, 200)); // the write-behind batch
      assert.deepEqual(await viaPost(second, "5.6.7.0/24"), own("192.0.2.5", "5.6.7.0/24/16"));
      assert.deepEqual(await viaPost(second), own("192.0.2.99"));
      assert.equal(await knot.queryCount() - before, 4, "no other subnet's answer from Redis");
      assert.deepEqual(await viaPost(second, "1.2.3.0/24"), own("192.0.2.1", "1.2.3.0/24/24"));
      assert.equal(await knot.queryCount() - before, 4, "the same subnet's, from Redis");
    } finally {
      await first.stop();
      await second.stop();
      await redis.stop();
      await knot.stop();
    }
  },
});
