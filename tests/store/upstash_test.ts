/**
 * What is particular to the Upstash REST path: the bridge speaks the protocol the client
 * expects (auth, base64 replies, pipeline, atomic multi-exec), and the store turns the
 * client's failures (wrong token, a value that is not its base64) into StoreError.
 */
import assert from "node:assert/strict";
import { StoreError } from "../../store/errors.ts";
import { createUpstashStore } from "../../store/upstash.ts";
import { integration } from "../support/binaries.ts";
import { startRedis } from "../support/redis.ts";
import { startUpstashBridge, type UpstashBridge } from "../support/upstash_bridge.ts";

function post(bridge: UpstashBridge, path: string, body: unknown, headers: HeadersInit = {}) {
  return fetch(`${bridge.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${bridge.token}`, ...headers },
    body: JSON.stringify(body),
  });
}

Deno.test({
  name: "the Upstash bridge answers like Upstash: {result}/{error}, base64, pipeline, multi-exec",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const bridge = startUpstashBridge(redis.url);
    try {
      const set = await post(bridge, "/", ["SET", "k", "héllo", "EX", 60]);
      assert.deepEqual(await set.json(), { result: "OK" });
      const plain = await post(bridge, "/", ["GET", "k"]);
      assert.deepEqual(await plain.json(), { result: "héllo" });
      const encoded = await post(bridge, "/", ["GET", "k"], { "upstash-encoding": "base64" });
      assert.deepEqual(await encoded.json(), {
        result: new TextEncoder().encode("héllo").toBase64(),
      });

      const wrong = await post(bridge, "/", ["INCR", "k"]);
      assert.equal(wrong.status, 400);
      assert.match((await wrong.json()).error, /not an integer/);

      const pipeline = await post(bridge, "/pipeline", [["INCR", "n"], ["INCR", "k"], [
        "GET",
        "n",
      ]]);
      const replies = await pipeline.json();
      assert.deepEqual(replies[0], { result: 1 });
      assert.match(replies[1].error, /not an integer/);
      assert.deepEqual(replies[2], { result: "1" });

      const multi = await post(bridge, "/multi-exec", [["INCR", "n"], ["SADD", "s", "a", "b"]]);
      assert.deepEqual(await multi.json(), [{ result: 2 }, { result: 2 }]);

      const unauthorized = await fetch(`${bridge.url}/`, {
        method: "POST",
        headers: { authorization: "Bearer nope" },
        body: JSON.stringify(["PING"]),
      });
      assert.equal(unauthorized.status, 401);
      assert.deepEqual(await unauthorized.json(), { error: "Unauthorized" });
    } finally {
      await bridge.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "the Upstash store reports a wrong token as a one-line StoreError",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const bridge = startUpstashBridge(redis.url);
    const store = createUpstashStore(bridge.url, "wrong-token", { timeoutMs: 250 });
    try {
      await assert.rejects(store.get("k"), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.message, "redis GET failed: Unauthorized");
        return true;
      });
    } finally {
      await store.close();
      await bridge.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "the Upstash store rejects a value that is not its base64 with StoreError, not SyntaxError",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const bridge = startUpstashBridge(redis.url);
    const store = createUpstashStore(bridge.url, bridge.token, { timeoutMs: 250 });
    try {
      const set = await post(bridge, "/", ["SET", "raw", "not base64 at all!"]);
      assert.deepEqual(await set.json(), { result: "OK" });
      await assert.rejects(store.get("raw"), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, /^redis GET failed: /);
        return true;
      });
      assert.equal(await store.getString("raw"), "not base64 at all!");
    } finally {
      await store.close();
      await bridge.close();
      await redis.stop();
    }
  },
});
