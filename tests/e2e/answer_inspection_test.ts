/**
 * Answer inspection through the real gateway in front of knot: an IP entry of a list file blocks
 * an answer holding its address at every door (DoH, UDP, the JSON API), also one that was in the
 * cache before the list loaded, with the memory store and with Redis; and DNS rebinding
 * protection, on by default, refuses a public name's private answer while the records file's,
 * a forward zone's and REBIND_ALLOW's private answers pass.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { askDoh } from "../support/doh.ts";
import { extendedError } from "../support/ede.ts";
import { eventually } from "../support/eventually.ts";
import type { Gateway } from "../support/gateway.ts";
import { GATEWAY_REDIS_CLIENTS, gatewayRedis } from "../support/gateway_redis.ts";
import { startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { sample } from "../support/prometheus.ts";
import { startRedis } from "../support/redis.ts";
import { smallZoneText, TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "e2e-inspect-token-0123456789";
const WWW = `www.${TEST_ZONE}`;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A list file `bad-ips` the gateway watches, empty at first, and how to write it. */
async function listFile(): Promise<
  { dir: string; path: string; write(text: string): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "inspect-e2e-" });
  const path = `${dir}/bad-ips.txt`;
  await Deno.writeTextFile(path, "# nothing listed yet\n");
  return {
    dir,
    path,
    // As an editor saves: a new file renamed over the old.
    async write(text) {
      await Deno.writeTextFile(`${path}.tmp`, text);
      await Deno.rename(`${path}.tmp`, path);
    },
  };
}

const rcodeOf = async (gateway: Gateway, name: string) =>
  (await askDoh(gateway.url, name, RType.A, { edns: {} })).reply.header.rcode;

for (const store of ["memory", ...GATEWAY_REDIS_CLIENTS] as const) {
  Deno.test({
    name:
      `${store}: an IP entry blocks at every door, also an answer cached before the list loaded`,
    ...integration(store === "memory" ? ["knotd"] : ["knotd", "redis-server"]),
    async fn() {
      const list = await listFile();
      const redis = store === "memory" ? undefined : await startRedis();
      const connection = redis &&
        gatewayRedis(store as typeof GATEWAY_REDIS_CLIENTS[number], redis);
      try {
        const env = {
          BLOCKLIST_URLS: `bad-ips=${list.path}`,
          ADMIN_TOKEN,
          UDP_PORT: "0",
          LOG_QUERIES: "true",
          ...connection?.env,
        };
        await withKnotGateway({ env }, async (gateway, knot) => {
          const before = await askDoh(gateway.url, WWW, RType.A, { edns: {} });
          assert.equal(before.reply.answers.length, 2, "192.0.2.1 and 192.0.2.2, now cached");
          const asked = await knot.queryCount();
          await list.write("# one of www's addresses\n||192.0.2.2^\n");
          await eventually(async () => assert.equal(await rcodeOf(gateway, WWW), Rcode.NXDOMAIN));
          const blocked = (await askDoh(gateway.url, WWW, RType.A, { edns: {} })).reply;
          assert.equal(
            extendedError(blocked)?.text,
            "Blocked (answer 192.0.2.2 (bad-ips: 192.0.2.2))",
          );
          assert.equal(await knot.queryCount(), asked, "decided on the cached answer");
          const json = await (await fetch(`${gateway.url}/resolve?name=${WWW}&type=A`)).json();
          assert.equal(json.Status, Rcode.NXDOMAIN);
          const [udp] = await udpExchange(doorPort(gateway, "UDP"), [makeQuery(WWW, RType.A)]);
          assert.equal(decodeMessage(udp).header.rcode, Rcode.NXDOMAIN);
          assert.equal(
            (await askDoh(gateway.url, WWW, RType.AAAA)).reply.header.rcode,
            Rcode.NOERROR,
            "its AAAA holds no listed address",
          );
          assert.match(
            gateway.stderr(),
            /blocklist bad-ips: file, 0 block, 0 allow entries, 1 IP entries/,
          );
          const log = await gateway.waitForStdout((out) => out.includes(`"rule":"answer `));
          const line = log.trim().split("\n").map((text) => JSON.parse(text))
            .find((entry) => entry.name === WWW && entry.source === "blocked");
          assert.equal(line?.rule, "answer 192.0.2.2 (bad-ips: 192.0.2.2)");
          const admin = await (await fetch(`${gateway.url}/admin/blocklist`, { headers: auth }))
            .json();
          const held = admin.lists.find((entry: { name: string }) => entry.name === "bad-ips");
          assert.equal(held?.ipEntries, 1);
          const why = await (await fetch(`${gateway.url}/admin/why?name=${WWW}`, { headers: auth }))
            .json();
          assert.equal(
            why.summary,
            "blocked: its cached answer holds 192.0.2.2, blocked by bad-ips: 192.0.2.2",
          );
          // An exception in the same list un-blocks it.
          await list.write("||192.0.2.0/24^\n@@||192.0.2.2^\n@@192.0.2.1\n");
          await eventually(async () => assert.equal(await rcodeOf(gateway, WWW), Rcode.NOERROR));
        });
      } finally {
        await connection?.bridge?.close();
        await redis?.stop();
        await Deno.remove(list.dir, { recursive: true });
      }
    },
  });
}

const CORP_ZONE = "corp.example";

Deno.test({
  name:
    "rebinding protection is on by default: a public name's private answer is refused; the records file's, a forward zone's and REBIND_ALLOW's are not",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rebinding-e2e-" });
    const corp = await startKnot({
      origin: CORP_ZONE,
      zoneText: [
        `$ORIGIN ${CORP_ZONE}.`,
        "$TTL 300",
        "@ SOA ns1 hostmaster 1 3600 600 86400 60",
        "@ NS ns1",
        "ns1 A 10.1.0.53",
        "printer A 10.1.2.3",
        "",
      ].join("\n"),
    });
    const records = `${dir}/records.txt`;
    await Deno.writeTextFile(
      records,
      `router.home.example  A  192.168.1.1\n${CORP_ZONE}  FORWARD  udp://127.0.0.1:${corp.port}\n`,
    );
    const knot = {
      zoneText: smallZoneText([
        "home A 10.0.0.5",
        "nas.lan A 192.168.1.20",
        "public A 198.51.100.2",
      ]),
    };
    try {
      const env = {
        RECORDS_FILE: records,
        REBIND_ALLOW: `lan.${TEST_ZONE}`,
        ADMIN_TOKEN,
        UDP_PORT: "0",
      };
      await withKnotGateway({ env, knot }, async (gateway) => {
        const answered = async (name: string) =>
          (await askDoh(gateway.url, name, RType.A)).reply.answers.map((r) => r.data);
        const home = `home.${TEST_ZONE}`;
        const refused = (await askDoh(gateway.url, home, RType.A, { edns: {} })).reply;
        assert.equal(refused.header.rcode, Rcode.NXDOMAIN);
        assert.equal(
          extendedError(refused)?.text,
          "Blocked (answer 10.0.0.5 (rebinding: 10.0.0.0/8))",
        );
        const [udp] = await udpExchange(doorPort(gateway, "UDP"), [makeQuery(home, RType.A)]);
        assert.equal(decodeMessage(udp).header.rcode, Rcode.NXDOMAIN, "from the cache, over UDP");
        assert.deepEqual(await answered("router.home.example"), [{ address: "192.168.1.1" }]);
        assert.deepEqual(await answered(`printer.${CORP_ZONE}`), [{ address: "10.1.2.3" }]);
        assert.deepEqual(await answered(`nas.lan.${TEST_ZONE}`), [{ address: "192.168.1.20" }]);
        assert.deepEqual(await answered(`public.${TEST_ZONE}`), [{ address: "198.51.100.2" }]);
        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        assert.equal(sample(metrics, "dns_rebinding_blocked_total"), 2);
        const why = await (await fetch(`${gateway.url}/admin/why?name=${home}`, { headers: auth }))
          .json();
        assert.equal(
          why.summary,
          "blocked: its cached answer holds 10.0.0.5, a private address (rebinding protection: 10.0.0.0/8)",
        );
      });
    } finally {
      await corp.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
