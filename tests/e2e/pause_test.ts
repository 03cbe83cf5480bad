/**
 * Pausing blocking across instances: two real gateways share Redis in front of knot; a pause
 * asked of one over the admin API lets the other answer a blocked name within about a second
 * (and says so in its log), and resuming blocks it there again.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "pause-e2e-token-0123456789";
const NAME = `mail.${TEST_ZONE}`;

const rcodeOf = async (gateway: Gateway, name: string) =>
  (await askDoh(gateway.url, name, RType.A)).reply.header.rcode;
const admin = (gateway: Gateway, method: string, body?: unknown) =>
  fetch(`${gateway.url}/admin/pause`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((response) => response.json());

Deno.test({
  name: "a pause asked of one gateway stops blocking on another sharing Redis within a second",
  ...integration(["knotd", "redis-server"]),
  async fn() {
    const knot = await startKnot();
    const redis = await startRedis();
    const env = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      BLOCKLIST_URLS: "",
      ADMIN_TOKEN,
      REDIS_URL: redis.url,
      LOG_QUERIES: "off",
    };
    const first = await startGateway({ env });
    let second: Gateway | undefined;
    try {
      second = await startGateway({ env });
      const edit = await fetch(`${first.url}/admin/blocklist/custom/block`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ names: [NAME] }),
      });
      assert.equal(edit.status, 200);
      await eventually(async () => assert.equal(await rcodeOf(second!, NAME), Rcode.NXDOMAIN));

      const paused = await admin(first, "POST", { minutes: 5 });
      assert.equal(paused.paused, true);
      const pausedAt = performance.now();
      await eventually(async () => assert.equal(await rcodeOf(second!, NAME), Rcode.NOERROR));
      const tookMs = performance.now() - pausedAt;
      assert.ok(tookMs < 2500, `the other gateway stopped blocking after ${tookMs.toFixed(0)} ms`);
      assert.deepEqual(await admin(second, "GET"), paused);
      assert.match(
        second.stderr(),
        /blocking paused until \d{4}-\d\d-\d\dT[\d:.]+Z: no list decides/,
      );

      await admin(first, "DELETE");
      await eventually(async () => assert.equal(await rcodeOf(second!, NAME), Rcode.NXDOMAIN));
      assert.match(second.stderr(), /blocking resumed: lists decide again/);
    } finally {
      await first.stop();
      await second?.stop();
      await redis.stop();
      await knot.stop();
    }
  },
});
