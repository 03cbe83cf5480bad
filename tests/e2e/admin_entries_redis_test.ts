/**
 * Admin entries of gateways sharing a real Redis that restarts empty (no persistence): each
 * gateway keeps a disk copy of them, its own edits and the other's, and puts them back when
 * Redis comes back empty, saying so; with no disk copy, the loss is said loudly instead of
 * passing unnoticed.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startRedis } from "../support/redis.ts";

const ADMIN_TOKEN = "e2e-custom-token-0123456789";
const authorization = `Bearer ${ADMIN_TOKEN}`;

async function edit(gateway: Gateway, kind: "block" | "allow", names: string[]) {
  const response = await fetch(`${gateway.url}/admin/blocklist/custom/${kind}`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ names }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function custom(gateway: Gateway): Promise<unknown> {
  const response = await fetch(`${gateway.url}/admin/blocklist/custom`, {
    headers: { authorization },
  });
  return response.status === 200 ? await response.json() : response.status;
}

/** Settings of a gateway on `redis` that answers nothing from upstream (nothing listens there). */
const settings = (redis: string, dir: string) => ({
  UPSTREAMS: "udp://127.0.0.1:9",
  REDIS_URL: redis,
  ADMIN_TOKEN,
  BLOCKLIST_DIR: dir,
  LOG_QUERIES: "off",
});

Deno.test({
  name: "admin entries come back from the disk copy when Redis restarts empty, edits of others too",
  ...integration(["redis-server"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "custom-copy-e2e-" });
    const redis = await startRedis();
    const first = await startGateway({ env: settings(redis.url, `${dir}/first`) });
    const second = await startGateway({ env: settings(redis.url, `${dir}/second`) });
    const expected = { block: ["ads.example", "tracker.example"], allow: ["ok.ads.example"] };
    try {
      // Edits through the first only: the second's copy follows them.
      await edit(first, "block", ["ads.example", "tracker.example"]);
      await edit(first, "allow", ["ok.ads.example"]);
      await eventually(async () => {
        const copy = JSON.parse(await Deno.readTextFile(`${dir}/second/custom.json`));
        assert.deepEqual(copy, expected);
      }, 5000);
      await first.stop();

      await redis.restart();
      await eventually(async () => assert.deepEqual(await custom(second), expected), 10_000);
      // Said once the entries are back, so a moment after they show.
      await eventually(() => {
        assert.match(
          second.stderr(),
          /blocklist: Redis came back empty: 2 block and 1 allow admin entries restored from .*second\/custom\.json/,
        );
        return Promise.resolve();
      });
      const check = await fetch(`${second.url}/admin/blocklist/check?name=x.ads.example`, {
        headers: { authorization },
      });
      assert.deepEqual(await check.json(), {
        name: "x.ads.example",
        verdict: "blocked",
        rule: { list: "custom", entry: "ads.example" },
      });
      assert.equal(second.stderr().includes("\n    at "), false, "no stack traces");
    } finally {
      await first.stop();
      await second.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "without a disk copy, admin entries lost with Redis are said to be lost",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const gateway = await startGateway({ env: settings(redis.url, "off") });
    try {
      await edit(gateway, "block", ["ads.example", "tracker.example"]);
      await redis.restart();
      await eventually(() => {
        assert.match(
          gateway.stderr(),
          /blocklist: Redis lost the 2 admin entries it held, and they cannot be restored: no disk copy \(BLOCKLIST_DIR is off\); add them again\n/,
        );
        return Promise.resolve();
      }, 10_000);
    } finally {
      await gateway.stop();
      await redis.stop();
    }
  },
});
