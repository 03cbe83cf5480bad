/**
 * The UDP door is no amplifier for a forged source address: a client that has not proven its
 * address gets answers of at most UDP_UNPROVEN_MAX_SIZE bytes (TC=1 beyond), whatever EDNS size
 * it offers, until it shows the address is its own with a server cookie (RFC 7873) or a query
 * over TCP. Real gateway, real knot, kdig and dig from distinct loopback addresses (each its own
 * client).
 */
import assert from "node:assert/strict";
import { decodeMessage, EdnsOptionCode, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { run } from "../support/tools.ts";
import { udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { freeDnsPort } from "../support/ports.ts";
import { TEST_ZONE, TEST_ZONE_TYPES } from "../support/test_zone.ts";
import { parseTypeName } from "../../dns/mod.ts";

const UNPROVEN_MAX = 512;
const BIG = `big.${TEST_ZONE}`;

const received = (output: string) => Number(/Received (\d+) B/.exec(output)?.[1]);
const answerCount = (output: string) => Number(/ANSWER: (\d+)/.exec(output)?.[1]);
const truncated = (output: string) => /Flags: [^;]*\btc\b/.test(output);
const cookieOf = (output: string) => /;; COOKIE: ([0-9A-F]+)/.exec(output)?.[1];

Deno.test({
  name: "UDP answers to an address not proven by a cookie or TCP stay within 512 bytes",
  ...integration(["knotd", "kdig", "dig"]),
  async fn(t) {
    const knot = await startKnot();
    const port = String(freeDnsPort());
    const gateway = await startGateway({
      env: { UPSTREAMS: `udp://127.0.0.1:${knot.port}`, UDP_PORT: port, TCP_PORT: port },
    });
    const kdig = (from: string, ...args: string[]) =>
      run("kdig", [
        "@127.0.0.1",
        "-p",
        port,
        "-b",
        from,
        "+notcp",
        "+ignore",
        "+bufsize=4096",
        ...args,
        BIG,
        "TXT",
      ]);
    try {
      await t.step("a small DO query with EDNS 4096 draws at most 512 bytes, TC=1", async () => {
        const query = makeQuery(BIG, RType.TXT, { edns: { udpSize: 4096, dnssecOk: true } });
        const [reply] = await udpExchange(Number(port), [query], 300, "127.0.0.2");
        assert.ok(reply.length <= UNPROVEN_MAX, `${reply.length} bytes`);
        const message = decodeMessage(reply);
        assert.equal(message.header.truncated, true);
        assert.equal(message.answers.length, 2);
      });

      await t.step("no query shape draws more than 512 bytes to an unproven address", async () => {
        const queries = TEST_ZONE_TYPES.flatMap(([owner, type]) => {
          const name = owner === "" ? TEST_ZONE : `${owner}.${TEST_ZONE}`;
          const number = parseTypeName(type)!;
          return [
            makeQuery(name, number),
            makeQuery(name, number, { edns: { udpSize: 4096, dnssecOk: true } }),
          ];
        });
        queries.push(
          makeQuery(BIG, RType.TXT),
          makeQuery(BIG, RType.TXT, { edns: { udpSize: 65535, dnssecOk: true } }),
          makeQuery("", RType.NS, { edns: {} }),
        );
        const replies = await udpExchange(Number(port), queries, 500, "127.0.0.2");
        assert.equal(replies.length, queries.length);
        for (const reply of replies) assert.ok(reply.length <= UNPROVEN_MAX, `${reply.length}`);
      });

      await t.step(
        "kdig's server cookie proves its address: the next answer is whole",
        async () => {
          const first = await kdig("127.0.0.3", "+cookie");
          assert.equal(truncated(first), true);
          assert.ok(received(first) <= UNPROVEN_MAX);
          const cookie = cookieOf(first);
          assert.equal(cookie?.length, 16 + 24, `client and server cookie in:\n${first}`);
          const second = await kdig("127.0.0.3", `+cookie=${cookie}`);
          // Five of the eight records fit UDP_MAX_SIZE (1232), as for any client offering 4096.
          assert.equal(answerCount(second), 5);
          assert.ok(received(second) > UNPROVEN_MAX);
          assert.notEqual(cookieOf(second), undefined, "a fresh server cookie again");
        },
      );

      await t.step("the same cookie from another address proves nothing", async () => {
        const cookie = cookieOf(await kdig("127.0.0.3", "+cookie"));
        const elsewhere = await kdig("127.0.0.4", `+cookie=${cookie}`);
        assert.equal(answerCount(elsewhere), 2);
        assert.ok(received(elsewhere) <= UNPROVEN_MAX);
        const forged = `${cookie!.slice(0, -2)}${cookie!.endsWith("00") ? "01" : "00"}`;
        const tampered = await kdig("127.0.0.3", `+cookie=${forged}`);
        assert.equal(answerCount(tampered), 2, "a forged server cookie proves nothing");
      });

      await t.step("dig retries over TCP on TC=1; that proves the address for UDP", async () => {
        const before = await kdig("127.0.0.5");
        assert.equal(answerCount(before), 2);
        const retried = await run("dig", [
          "@127.0.0.1",
          "-p",
          port,
          "-b",
          "127.0.0.5",
          "+bufsize=4096",
          "+short",
          BIG,
          "TXT",
        ]);
        assert.equal(retried.trim().split("\n").length, 8, retried);
        const after = await kdig("127.0.0.5");
        assert.equal(answerCount(after), 5);
      });

      await t.step("a COOKIE option of a length RFC 7873 forbids gets FORMERR", async () => {
        const query = makeQuery(`www.${TEST_ZONE}`, RType.A, {
          id: 77,
          edns: { options: [{ code: EdnsOptionCode.COOKIE, data: new Uint8Array(12) }] },
        });
        const [reply] = await udpExchange(Number(port), [query], 300, "127.0.0.6");
        const message = decodeMessage(reply);
        assert.equal(message.header.id, 77);
        assert.equal(message.header.rcode, Rcode.FORMERR);
      });

      await t.step("/metrics counts the cut answers and the cookies given", async () => {
        const text = await (await fetch(`${gateway.url}/metrics`)).text();
        const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1]);
        assert.ok(value("dns_udp_unproven_truncated_total") >= 5, text);
        assert.ok(value("dns_udp_cookies_given_total") >= 4, text);
      });
    } finally {
      await gateway.stop();
      await knot.stop();
    }
  },
});
