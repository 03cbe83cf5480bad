/**
 * Two gateway processes sharing one real Redis, through each client: what the first resolved,
 * the second answers without asking knot (counted in knot's own statistics). And Redis going
 * away never stops the answers.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { startGateway } from "../support/gateway.ts";
import { GATEWAY_REDIS_CLIENTS, gatewayRedis } from "../support/gateway_redis.ts";
import { startKnot } from "../support/knot.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ask = async (url: string, name: string) =>
  (await askDoh(url, name, RType.A, { id: 5, edns: {} })).reply;

for (const client of GATEWAY_REDIS_CLIENTS) {
  Deno.test({
    name: `a second gateway answers from the shared cache what the first resolved (${client})`,
    ...integration(["knotd", "knotc", "redis-server"]),
    async fn() {
      const knot = await startKnot();
      const redis = await startRedis();
      const { env: redisEnv, bridge } = gatewayRedis(client, redis);
      const env = {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        ...redisEnv,
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
