/**
 * The real gateway with real lists, served by a local HTTP server (no internet), in front of
 * knot, asked by real DoH clients (kdig, dig): blocked names get NXDOMAIN with EDE 15 naming
 * the list, subdomains too, allowlisted names resolve, and blocked names never reach knot.
 * The disk copy lets a restart without the list server block the same names, and
 * `deno task blocklist check` explains a decision. Then the same lists in Redis through each
 * client, shared by two gateways: an admin edit through one blocks on the other, and Redis
 * going away and coming back empty neither stops answers nor loses the lists for good.
 */
import assert from "node:assert/strict";
import { type Message, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { extendedError } from "../support/ede.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { GATEWAY_REDIS_CLIENTS, gatewayRedis } from "../support/gateway_redis.ts";
import { startKnot } from "../support/knot.ts";
import { startListServer } from "../support/list_server.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { runToEnd } from "../support/tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ADMIN_TOKEN = "e2e-admin-token-0123456789";

/** The whole test zone blocked except www (allowlist) and multi (an adblock exception). */
const ADBLOCK = `! Title: e2e\n||${TEST_ZONE}^\n@@||multi.${TEST_ZONE}^\n`;
const HOSTS = "# hosts\n0.0.0.0 ads.example.net tracker.example.net\n";

const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  runToEnd(command, args, { env, cwd: ROOT });

/** POSTs a query with EDNS over plain HTTP (fetch), for checks that need the decoded reply. */
const ask = async (gateway: Gateway, name: string, type: number = RType.A): Promise<Message> =>
  (await askDoh(gateway.url, name, type, { edns: {} })).reply;

const edeText = (reply: Message) => extendedError(reply)?.text;

/** Waits for the startup sync to report every list. */
async function synced(gateway: Gateway, lists: string[]): Promise<void> {
  await eventually(() => {
    for (const list of lists) assert.match(gateway.stderr(), new RegExp(`list ${list}: `));
    return Promise.resolve();
  }, 10_000);
}

Deno.test({
  name: "DoH clients get EDE 15 for blocked names and subdomains; allowlisted names resolve",
  ...integration(["knotd", "kdig", "dig", "openssl"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "blocklist-e2e-" });
    const knot = await startKnot();
    const lists = startListServer();
    lists.set("adblock.txt", ADBLOCK);
    lists.set("hosts", HOSTS);
    const allowFile = `${dir}/allow.txt`;
    await Deno.writeTextFile(allowFile, `www.${TEST_ZONE}\n`);
    const cert = await makeCertificate(dir);
    const env = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      BLOCKLIST_URLS: `${lists.url}/adblock.txt,hosts=${lists.url}/hosts`,
      ALLOWLIST_URLS: allowFile,
      BLOCKLIST_DIR: `${dir}/copies`,
      ...tlsEnv(cert),
    };
    let gateway = await startGateway({ env });
    try {
      await synced(gateway, ["adblock", "hosts", "allow"]);
      assert.match(gateway.stderr(), /blocklist adblock: download, 1 block, 1 allow entries/);
      assert.match(gateway.stderr(), /blocklist hosts: download, 2 block, 0 allow entries/);
      assert.match(gateway.stderr(), /allowlist allow: file, 0 block, 1 allow entries/);
      const gw = ["@127.0.0.1", "-p", String(gateway.port), "+https", "+edns"];
      const before = await knot.queryCount();

      for (const name of [`mail.${TEST_ZONE}`, TEST_ZONE, `a.b.ns1.${TEST_ZONE}`]) {
        const kdig = await run("kdig", [...gw, name, "A"]);
        assert.match(kdig.stdout, /status: NXDOMAIN/, name);
        assert.match(
          kdig.stdout,
          new RegExp(`EDE: 15 \\(Blocked\\): 'Blocked \\(adblock: ${TEST_ZONE}\\)'`),
        );
        assert.match(kdig.stdout, /blocked\.invalid\. hostmaster\.blocked\.invalid\./, "SOA");
      }
      const dig = await run("dig", [
        "@127.0.0.1",
        "-p",
        String(gateway.port),
        "+https",
        "tracker.example.net",
        "AAAA",
      ]);
      assert.match(dig.stdout, /status: NXDOMAIN/);
      assert.match(dig.stdout, /EDE: 15 \(Blocked\): \(Blocked \(hosts: tracker\.example\.net\)\)/);
      assert.equal(await knot.queryCount(), before, "no blocked query reached the upstream");

      const www = await run("kdig", [...gw, "+short", `www.${TEST_ZONE}`, "A"]);
      assert.deepEqual(www.stdout.trim().split("\n").sort(), ["192.0.2.1", "192.0.2.2"]);
      const multi = await run("kdig", [...gw, "+short", `multi.${TEST_ZONE}`, "TXT"]);
      assert.match(multi.stdout, /"first string" "second string" "third string"/);
      assert.equal(await knot.queryCount(), before + 2, "allowed names were asked upstream");

      const log = await gateway.waitForStdout(/"rule":"hosts: tracker\.example\.net"/);
      assert.match(
        log,
        /"name":"mail\.test\.example","type":"A","source":"blocked","rule":"adblock: test\.example","rcode":3/,
      );

      // `deno task blocklist check`, with the same settings, from the disk copies.
      const check = await run(Deno.execPath(), [
        "task",
        "-q",
        "blocklist",
        "check",
        `X.Mail.${TEST_ZONE}.`,
      ], env);
      assert.equal(check.code, 0, check.stderr);
      assert.equal(check.stdout, `x.mail.${TEST_ZONE}: blocked by adblock: ${TEST_ZONE}\n`);
      const allowed = await run(Deno.execPath(), [
        "task",
        "-q",
        "blocklist",
        "check",
        `www.${TEST_ZONE}`,
      ], env);
      assert.equal(allowed.stdout, `www.${TEST_ZONE}: allowed by allow: www.${TEST_ZONE}\n`);
      const bad = await run(Deno.execPath(), ["task", "-q", "blocklist", "check", "no..name"], env);
      assert.equal(bad.code, 2);

      // A restart with the list server gone still blocks, from the disk copies.
      await gateway.stop();
      await lists.close();
      gateway = await startGateway({ env });
      await synced(gateway, ["adblock", "hosts"]);
      assert.match(gateway.stderr(), /blocklist adblock: disk-fresh, 1 block, 1 allow entries/);
      const again = await run("kdig", [
        "@127.0.0.1",
        "-p",
        String(gateway.port),
        "+https",
        `mail.${TEST_ZONE}`,
      ]);
      assert.match(again.stdout, /status: NXDOMAIN/);
    } finally {
      await gateway.stop();
      await lists.close();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

for (const client of GATEWAY_REDIS_CLIENTS) {
  Deno.test({
    name: `two gateways share lists in Redis (${client}): an edit on one blocks on the other`,
    ...integration(["knotd", "redis-server"]),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "blocklist-redis-e2e-" });
      const knot = await startKnot();
      const redis = await startRedis();
      const { env: redisEnv, bridge } = gatewayRedis(client, redis);
      const lists = startListServer();
      lists.set("hosts", `0.0.0.0 mail.${TEST_ZONE}\n`);
      const env = {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        BLOCKLIST_URLS: `${lists.url}/hosts`,
        BLOCKLIST_DIR: `${dir}/copies`,
        ADMIN_TOKEN,
        ...redisEnv,
      };
      const first = await startGateway({ env });
      let second: Gateway | undefined;
      try {
        await synced(first, ["hosts"]);
        assert.match(first.stderr(), /blocklist hosts: download, 1 block/);
        second = await startGateway({ env });
        await synced(second, ["hosts"]);
        assert.match(second.stderr(), /blocklist hosts: fresh-in-store, 1 block/);
        assert.equal(lists.requests.length, 1, "the fleet downloaded the list once");

        const blocked = await ask(second, `x.mail.${TEST_ZONE}`);
        assert.equal(blocked.header.rcode, Rcode.NXDOMAIN);
        assert.equal(edeText(blocked), "Blocked (hosts: mail.test.example)");
        assert.equal((await ask(second, `www.${TEST_ZONE}`)).answers.length, 2);

        const edit = await fetch(`${first.url}/admin/blocklist/custom/block`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ names: [`www.${TEST_ZONE}`] }),
        });
        assert.deepEqual(await edit.json(), { added: 1, names: [`www.${TEST_ZONE}`] });
        const editedAt = performance.now();
        await eventually(async () => {
          const reply = await ask(second!, `www.${TEST_ZONE}`);
          assert.equal(edeText(reply), `Blocked (custom: www.${TEST_ZONE})`);
        }, 5000);
        const tookMs = performance.now() - editedAt;
        assert.ok(tookMs < 2500, `the other gateway blocked it after ${tookMs.toFixed(0)} ms`);

        // Redis gone: answers go on, unfiltered (fail-open), without hanging.
        await redis.stop();
        const started = performance.now();
        const during = await ask(second, `mail.${TEST_ZONE}`);
        assert.equal(during.header.rcode, Rcode.NOERROR);
        assert.equal(during.answers.length, 1, "answered by knot");
        assert.ok(performance.now() - started < 1500, "within the Redis timeout and a lookup");

        // Redis back, empty: an instance notices and loads the lists again from its disk copy.
        await redis.start();
        await eventually(async () => {
          assert.equal((await ask(second!, `mail.${TEST_ZONE}`)).header.rcode, Rcode.NXDOMAIN);
        }, 10_000);
        assert.equal(lists.requests.length, 1, "reloaded from the disk copy");
      } finally {
        await first.stop();
        await second?.stop();
        await lists.close();
        await bridge?.close();
        await redis.stop();
        await knot.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name:
    "a gateway started while Redis is down answers unfiltered, and loads the lists when it is up",
  ...integration(["knotd", "redis-server"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "blocklist-redis-down-" });
    const knot = await startKnot();
    const redis = await startRedis();
    await redis.stop();
    const lists = startListServer();
    lists.set("hosts", `0.0.0.0 mail.${TEST_ZONE}\n`);
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        BLOCKLIST_URLS: `${lists.url}/hosts`,
        BLOCKLIST_DIR: `${dir}/copies`,
        REDIS_URL: redis.url,
      },
    });
    try {
      const during = await ask(gateway, `mail.${TEST_ZONE}`);
      assert.equal(during.header.rcode, Rcode.NOERROR, "fail-open: answered by knot");
      assert.equal(during.answers.length, 1);
      await redis.start();
      await eventually(async () => {
        assert.equal((await ask(gateway, `mail.${TEST_ZONE}`)).header.rcode, Rcode.NXDOMAIN);
      }, 10_000);
      // The report is printed when the whole sync is done, a moment after the list is in Redis
      // (and so already deciding): its summary is read and the sync's lock let go in between.
      await eventually(() => {
        assert.match(gateway.stderr(), /blocklist hosts: download, 1 block/);
        return Promise.resolve();
      }, 5_000);
    } finally {
      await gateway.stop();
      await lists.close();
      await redis.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
