/**
 * The real gateway's cache in front of a real knot: repeats never reach knot (counted in
 * knot's own statistics), TTLs and cache-control count down, and with knot gone an expired
 * entry is served stale with EDE 3.
 */
import assert from "node:assert/strict";
import {
  decodeExtendedError,
  EdeCode,
  EdnsOptionCode,
  findOption,
  Rcode,
  RType,
} from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { askDoh } from "../support/doh.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { runToEnd } from "../support/tools.ts";

const ask = (url: string, name: string, type: number = RType.A) =>
  askDoh(url, name, type, { id: 99, edns: {} });

Deno.test({
  name: "repeated queries are answered from the cache, TTLs counting down, without asking knot",
  ...integration(["knotd", "knotc"]),
  async fn() {
    await withKnotGateway({}, async (gateway, knot) => {
      const before = await knot.queryCount();
      const first = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.equal(first.reply.answers[0].ttl, 300);
      assert.equal(first.cacheControl, "max-age=300");
      for (let i = 0; i < 20; i++) await ask(gateway.url, `WWW.${TEST_ZONE}`);
      const missing = await ask(gateway.url, `nothing.${TEST_ZONE}`);
      assert.equal(missing.reply.header.rcode, Rcode.NXDOMAIN);
      assert.equal(missing.cacheControl, "max-age=60", "negative TTL: min(SOA TTL, MINIMUM)");
      await ask(gateway.url, `nothing.${TEST_ZONE}`);
      assert.equal(await knot.queryCount() - before, 2, "one query per distinct question");
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const later = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.ok(later.reply.answers[0].ttl <= 299, `TTL ${later.reply.answers[0].ttl}`);
      assert.match(later.cacheControl ?? "", /^max-age=(29\d)$/);
      assert.equal(await knot.queryCount() - before, 2);
      const log = (await gateway.waitForStdout((out) => out.split('"source":"cache"').length > 22))
        .trim()
        .split("\n").map((line) => JSON.parse(line));
      assert.equal(log.filter((entry) => entry.source === "cache").length, 22);
    });
  },
});

Deno.test({
  name: "with the upstream gone, an expired answer is served stale with TTL 30 and EDE 3",
  ...integration(["knotd"]),
  async fn() {
    await withKnotGateway({
      env: {
        UPSTREAM_TIMEOUT_MS: "200",
        QUERY_TIMEOUT_MS: "400",
      },
    }, async (gateway, knot) => {
      const fresh = await ask(gateway.url, `short.${TEST_ZONE}`);
      assert.equal(fresh.reply.answers[0].ttl, 1);
      await knot.stop();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const started = performance.now();
      const stale = await ask(gateway.url, `short.${TEST_ZONE}`);
      assert.ok(performance.now() - started < 1000);
      assert.equal(stale.reply.header.rcode, Rcode.NOERROR);
      assert.deepEqual(stale.reply.answers.map((r) => [r.data, r.ttl]), [[
        { address: "192.0.2.9" },
        30,
      ]]);
      const ede = findOption(stale.reply.edns!, EdnsOptionCode.EXTENDED_ERROR);
      assert.equal(decodeExtendedError(ede!.data).infoCode, EdeCode.STALE_ANSWER);
      assert.equal(stale.cacheControl, "max-age=30");
      const never = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.equal(never.reply.header.rcode, Rcode.SERVFAIL, "nothing cached: nothing stale");
    });
  },
});

Deno.test({
  name: "repeated queries over the UDP door share the cache with DoH and never reach knot",
  ...integration(["knotd", "knotc", "dig"]),
  async fn() {
    await withKnotGateway({ env: { UDP_PORT: "0" } }, async (gateway, knot) => {
      const dig = async (...args: string[]) => {
        const port = String(doorPort(gateway, "UDP"));
        return (await runToEnd("dig", ["@127.0.0.1", "-p", port, ...args])).stdout;
      };
      const before = await knot.queryCount();
      const viaDoh = await ask(gateway.url, `mail.${TEST_ZONE}`);
      assert.equal(viaDoh.reply.answers.length, 1);
      for (let i = 0; i < 10; i++) {
        const reply = await dig("+noall", "+answer", `mail.${TEST_ZONE}`, "A");
        assert.match(reply, /^mail\.test\.example\.\s+(\d+)\s+IN\s+A\s+192\.0\.2\.25$/m);
      }
      await dig(`short.${TEST_ZONE}`, "A");
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const aged = await dig("+noall", "+answer", `mail.${TEST_ZONE}`, "A");
      const ttl = Number(/\s(\d+)\s+IN\s+A/.exec(aged)?.[1]);
      assert.ok(ttl <= 299 && ttl > 290, `TTL counts down over UDP too: ${ttl}`);
      assert.equal(await knot.queryCount() - before, 2, "mail once (DoH), short once (UDP)");
      const log = await gateway.waitForStdout((out) => out.split('"door":"udp"').length > 12);
      const udp = log.trim().split("\n").map((line) => JSON.parse(line)).filter((e) =>
        e.door === "udp" && e.name === `mail.${TEST_ZONE}`
      );
      assert.equal(udp.length, 11);
      assert.ok(udp.every((e) => e.source === "cache"));
    });
  },
});

Deno.test({
  name:
    "the same DoH GET again is answered as before, and an edit or a flush shows on the next one",
  ...integration(["knotd", "knotc"]),
  async fn() {
    const token = "e2e-admin-token-memo-0123456789";
    await withKnotGateway({ env: { ADMIN_TOKEN: token } }, async (gateway, knot) => {
      const name = `www.${TEST_ZONE}`;
      // One URL, as every browser asking for this name sends it (ID 0).
      const get = () => askDoh(gateway.url, name, RType.A, { id: 0, edns: {}, method: "GET" });
      const admin = (path: string, body: unknown) =>
        fetch(`${gateway.url}/admin/${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((response) => response.json());
      const before = await knot.queryCount();
      const first = await get();
      for (let i = 0; i < 30; i++) {
        const again = await get();
        assert.deepEqual(
          again.reply.answers,
          first.reply.answers.map((r) => ({
            ...r,
            ttl: again.reply.answers[0].ttl,
          })),
        );
        assert.ok(again.reply.answers[0].ttl >= 299);
        assert.equal(again.cacheControl, `max-age=${again.reply.answers[0].ttl}`);
      }
      assert.equal(await knot.queryCount() - before, 1);

      await admin("blocklist/custom/block", { names: [name] });
      assert.equal((await get()).reply.header.rcode, Rcode.NXDOMAIN, "blocked at once");
      await fetch(`${gateway.url}/admin/blocklist/custom/block`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ names: [name] }),
      }).then((response) => response.arrayBuffer());
      assert.equal((await get()).reply.answers.length, 2, "unblocked at once");
      await get();
      assert.equal(await knot.queryCount() - before, 1, "still the cached answer");

      await admin("cache/flush", { name });
      await get();
      assert.equal(await knot.queryCount() - before, 2, "flushed: asked again at once");

      await new Promise((resolve) => setTimeout(resolve, 1100));
      const later = await get();
      assert.ok(later.reply.answers[0].ttl <= 299, `TTL ${later.reply.answers[0].ttl}`);
      assert.equal(later.cacheControl, `max-age=${later.reply.answers[0].ttl}`);
      const log = (await gateway.waitForStdout((out) => out.split('"source":"cache"').length > 33))
        .trim().split("\n").map((line) => JSON.parse(line));
      const cached = log.filter((entry) => entry.source === "cache" && entry.name === name);
      assert.ok(cached.length >= 33, `${cached.length} cache hits logged`);
      assert.ok(cached.every((entry) => entry.method === "GET" && entry.client === "127.0.0.1"));
    });
  },
});
