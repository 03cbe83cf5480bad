/**
 * The real gateway when its Redis hangs: SIGSTOP keeps the connections open and answers
 * nothing, the worst a Redis can do. Every DoH query is still answered within the query
 * budget (each Redis call gives up at REDIS_TIMEOUT_MS), and once Redis moves again the
 * shared cache works again without a restart. Redis down at start, going away and coming back
 * empty are in blocklist_test.ts and shared_cache_test.ts.
 */
import assert from "node:assert/strict";
import { decodeMessage, type Message, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { eventually } from "../support/eventually.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const QUERY_TIMEOUT_MS = 2000;

async function ask(url: string, name: string, type: number = RType.A) {
  const started = performance.now();
  const response = await fetch(`${url}/dns-query`, {
    method: "POST",
    headers: { "content-type": "application/dns-message" },
    body: makeQuery(name, type, { id: 9, edns: {} }),
  });
  assert.equal(response.status, 200);
  const reply: Message = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  return { reply, ms: performance.now() - started };
}

Deno.test({
  name: "with Redis hanging (SIGSTOP) DoH is answered within the budget, and sharing resumes after",
  ...integration(["knotd", "knotc", "redis-server"]),
  async fn() {
    const knot = await startKnot();
    const redis = await startRedis();
    const env = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      REDIS_URL: redis.url,
      QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
    };
    const first = await startGateway({ env });
    const second = await startGateway({ env });
    try {
      assert.equal((await ask(first.url, `www.${TEST_ZONE}`)).reply.answers.length, 2);

      redis.pause();
      // Cached and uncached names, on both gateways: the blocklist's and the shared cache's
      // Redis calls time out, the answers come from memory or knot.
      const asked: [string, number][] = [
        [`www.${TEST_ZONE}`, RType.A],
        [`mail.${TEST_ZONE}`, RType.A],
        [`www.${TEST_ZONE}`, RType.AAAA],
        [`nothing.${TEST_ZONE}`, RType.A],
      ];
      for (const gateway of [first, second]) {
        for (const [name, type] of asked) {
          const { reply, ms } = await ask(gateway.url, name, type);
          const expected = name.startsWith("nothing") ? Rcode.NXDOMAIN : Rcode.NOERROR;
          assert.equal(reply.header.rcode, expected, `${name} ${type}`);
          assert.ok(ms < QUERY_TIMEOUT_MS, `${name} ${type} answered after ${ms.toFixed(0)} ms`);
        }
      }

      redis.resume();
      // Sharing again: what the first resolves now, the second answers without asking knot.
      await eventually(async () => {
        const name = `n${crypto.randomUUID().slice(0, 8)}.${TEST_ZONE}`;
        await ask(first.url, name);
        await new Promise((resolve) => setTimeout(resolve, 200)); // the write-behind batch
        const before = await knot.queryCount();
        assert.equal((await ask(second.url, name)).reply.header.rcode, Rcode.NXDOMAIN);
        assert.equal(await knot.queryCount(), before, "answered from the shared cache");
      }, 10_000);
      assert.equal(first.stderr().includes("\n    at "), false, "no stack traces");
    } finally {
      redis.resume();
      await first.stop();
      await second.stop();
      await redis.stop();
      await knot.stop();
    }
  },
});
