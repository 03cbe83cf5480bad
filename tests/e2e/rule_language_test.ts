/**
 * The rule language through the real gateway, knot upstream, a local list file of AdGuard-syntax
 * rules: a regex, `$dnstype`, `$client`, `$important` against an exception, `$badfilter`,
 * `$dnsrewrite` to an address and to a name, and a browser-only rule skipped and named in the
 * load line. Asked over DoH, UDP and the JSON API, with the memory store, and again with the
 * Redis store on a real redis-server. EDE 15 and the query log name the rule as written.
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
import { withKnotGateway } from "../support/knot_gateway.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const Z = TEST_ZONE.replaceAll(".", "\\.");
const RULES = [
  "! rules written as AdGuard's DNS filtering syntax documents them",
  `/^m[a-z]il\\.${Z}$/`,
  `||www.${TEST_ZONE}^$dnstype=AAAA`,
  `||ns1.${TEST_ZONE}^$client=127.0.0.0/8`,
  `||multi.${TEST_ZONE}^$important`,
  `@@||multi.${TEST_ZONE}^`,
  `||svc.${TEST_ZONE}^`,
  `||svc.${TEST_ZONE}^$badfilter`,
  `||ptr.${TEST_ZONE}^$dnsrewrite=192.0.2.55`,
  `||moved.${TEST_ZONE}^$dnsrewrite=www.${TEST_ZONE}`,
  `||short.${TEST_ZONE}^$third-party`,
].join("\n");

async function withRules(
  env: Record<string, string>,
  body: (gateway: Gateway) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rules-e2e-" });
  await Deno.writeTextFile(`${dir}/rules.txt`, RULES);
  try {
    await withKnotGateway(
      {
        env: {
          BLOCKLIST_URLS: `rules=${dir}/rules.txt`,
          BLOCKLIST_DIR: dir,
          UDP_PORT: "0",
          LOG_QUERIES: "true",
          ...env,
        },
      },
      body,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What every door must say of the rules, whichever store holds them. */
async function checkDoors(gateway: Gateway): Promise<void> {
  const doh = async (name: string, type: number = RType.A) =>
    (await askDoh(gateway.url, name, type, { edns: {} })).reply;
  const mail = `mail.${TEST_ZONE}`;
  // The list loads in the background a moment after startup, slower on a busy machine.
  await eventually(
    async () => assert.equal((await doh(mail)).header.rcode, Rcode.NXDOMAIN),
    15_000,
  );
  assert.equal(extendedError(await doh(mail))?.text, `Blocked (rules: /^m[a-z]il\\.${Z}$/)`);
  // $dnstype: AAAA blocked, A answered.
  const www = `www.${TEST_ZONE}`;
  assert.equal((await doh(www, RType.AAAA)).header.rcode, Rcode.NXDOMAIN);
  assert.equal((await doh(www, RType.A)).answers.length, 2);
  // $client: every client here is on loopback.
  assert.equal((await doh(`ns1.${TEST_ZONE}`)).header.rcode, Rcode.NXDOMAIN);
  // $important beats the exception; $badfilter disables the plain rule.
  assert.equal((await doh(`multi.${TEST_ZONE}`, RType.TXT)).header.rcode, Rcode.NXDOMAIN);
  assert.equal((await doh(`svc.${TEST_ZONE}`, RType.SVCB)).answers.length, 1);
  // $dnsrewrite: an address; a name, followed to knot's records.
  const ptr = await doh(`ptr.${TEST_ZONE}`);
  assert.deepEqual(ptr.answers.map((record) => record.data), [{ address: "192.0.2.55" }]);
  const moved = await doh(`moved.${TEST_ZONE}`);
  assert.deepEqual(moved.answers.map((record) => record.type), [RType.CNAME, RType.A, RType.A]);
  // The browser-only rule is skipped: short is answered.
  assert.equal((await doh(`short.${TEST_ZONE}`)).answers.length, 1);

  const [udp] = await udpExchange(doorPort(gateway, "UDP"), [
    makeQuery(www, RType.AAAA),
    makeQuery(mail, RType.A),
  ]);
  assert.equal(decodeMessage(udp).header.rcode, Rcode.NXDOMAIN);
  const json = async (name: string, type: string) =>
    await (await fetch(`${gateway.url}/resolve?name=${name}&type=${type}`)).json();
  assert.equal((await json(www, "AAAA")).Status, Rcode.NXDOMAIN);
  assert.equal((await json(www, "A")).Status, Rcode.NOERROR);
  assert.equal((await json(`ptr.${TEST_ZONE}`, "A")).Answer[0].data, "192.0.2.55");

  const log = await gateway.waitForStdout((out) => out.includes("$dnstype=AAAA"));
  const line = log.trim().split("\n").map((text) => JSON.parse(text))
    .find((entry) => entry.name === www && entry.source === "blocked");
  assert.equal(line?.rule, `rules: ||www.${TEST_ZONE}^$dnstype=AAAA`);
}

Deno.test({
  name: "list rules block, rewrite and skip as written, over DoH, UDP and JSON (memory store)",
  ...integration(["knotd"]),
  async fn() {
    await withRules({}, async (gateway) => {
      await checkDoors(gateway);
      assert.match(
        gateway.stderr(),
        /blocklist rules: file, 1 block, 1 allow entries, 7 rules, \d+ ms; skipped for browser-only modifiers: \$third-party 1/,
      );
    });
  },
});

Deno.test({
  name: "list rules block, rewrite and skip as written with the Redis store",
  ...integration(["knotd", "redis-server"]),
  async fn() {
    const redis = await startRedis();
    try {
      await withRules({ REDIS_URL: redis.url }, checkDoors);
    } finally {
      await redis.stop();
    }
  },
});
