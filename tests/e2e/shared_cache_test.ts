/**
 * Two gateway processes sharing one real Redis, through each client: what the first resolved,
 * the second answers without asking knot (counted in knot's own statistics). And Redis going
 * away never stops the answers.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { startUpstashBridge } from "../support/upstash_bridge.ts";

async function ask(url: string, name: string) {
  const response = await fetch(`${url}/dns-query`, {
    method: "POST",
    headers: { "content-type": "application/dns-message" },
    body: makeQuery(name, RType.A, { id: 5, edns: {} }),
  });
  return decodeMessage(new Uint8Array(await response.arrayBuffer()));
}

for (const client of ["redis://", "Upstash REST"] as const) {
  Deno.test({
    name: `a second gateway answers from the shared cache what the first resolved (${client})`,
    ...integration(["knotd", "knotc", "redis-server"]),
    async fn() {
      const knot = await startKnot();
      const redis = await startRedis();
      const bridge = client === "Upstash REST" ? startUpstashBridge(redis.url) : undefined;
      const env = {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        ...(bridge
          ? { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token }
          : { REDIS_URL: redis.url }),
      };
      const first = await startGateway({ env });
      const second = await startGateway({ env });
      try {
        assert.match(
          first.stderr(),
          bridge
            ? /redis: http:\/\/127.0.0.1:\d+ \(Upstash REST\)/
            : /redis: redis:\/\/127.0.0.1:\d+ \(ioredis\)/,
        );
        const before = await knot.queryCount();
        const fromFirst = await ask(first.url, `www.${TEST_ZONE}`);
        assert.equal(fromFirst.answers.length, 2);
        await new Promise((resolve) => setTimeout(resolve, 200)); // the write-behind batch
        const fromSecond = await ask(second.url, `www.${TEST_ZONE}`);
        assert.deepEqual(
          fromSecond.answers.map((r) => r.data),
          fromFirst.answers.map((r) => r.data),
        );
        assert.equal(await knot.queryCount() - before, 1, "only the first gateway asked knot");
        const logged = await second.waitForStdout(/"source":"cache"/);
        assert.match(logged, /"name":"www\.test\.example","type":"A","source":"cache"/);

        // Redis gone: both keep answering (from L1, or upstream), nothing hangs.
        await redis.stop();
        const started = performance.now();
        const during = await ask(second.url, `mail.${TEST_ZONE}`);
        assert.equal(during.header.rcode, Rcode.NOERROR);
        assert.ok(performance.now() - started < 1000);
      } finally {
        await first.stop();
        await second.stop();
        await bridge?.close();
        await redis.stop();
        await knot.stop();
      }
    },
  });
}
