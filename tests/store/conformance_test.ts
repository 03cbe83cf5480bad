/**
 * One behaviour suite for both Redis clients, against a real redis-server: ioredis over
 * redis://, and @upstash/redis over the Upstash-REST bridge. Binary values, expiry, sets for
 * the blocklist, counters, streams, and Redis hanging, going away and coming back: calls fail
 * with StoreError within the timeout and work again without recreating the store.
 *
 * What the store does to Redis is checked on Redis itself (PTTL, XLEN, INFO commandstats for
 * "one round trip"), through a separate connection.
 */
import assert from "node:assert/strict";
import { StoreError } from "../../store/errors.ts";
import type { RedisStore, StoreOptions } from "../../store/redis.ts";
import { integration } from "../support/binaries.ts";
import { type RedisServer, startRedis } from "../support/redis.ts";
import { type Connect, REDIS_CLIENTS } from "../support/redis_clients.ts";
import { callsOf, inspect } from "../support/redis_inspect.ts";
import { eventually } from "../support/eventually.ts";

const TIMEOUT_MS = 250;
/** How late a failing call may be, beyond the timeout, on a busy test machine. */
const SLACK_MS = 150;
/** The bound on calls waiting on Redis, small so that a test reaches it with few calls. */
const MAX_WAITING = 20;
/** Calls made at once, ROUNDS times, while Redis hangs (beyond ioredis's drop of a connection). */
const PER_ROUND = 200;
const ROUNDS = 12;

/** A test with its own redis-server and store, both gone when it ends. */
function storeTest(
  name: string,
  connect: Connect,
  fn: (store: RedisStore, redis: RedisServer) => Promise<void>,
  options: StoreOptions = {},
) {
  Deno.test({
    name,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      const { store, close } = connect(redis, { timeoutMs: TIMEOUT_MS, ...options });
      try {
        await eventually(() => store.ping());
        await fn(store, redis);
      } finally {
        redis.resume();
        await close();
        await redis.stop();
      }
    },
  });
}

/** Every call of the interface once, each expected to fail. */
function everyCall(store: RedisStore): [string, () => Promise<unknown>][] {
  return [
    ["get", () => store.get("k")],
    ["mget", () => store.mget(["k", "l"])],
    ["set", () => store.set("k", new Uint8Array([1]), 60)],
    ["setMany", () => store.setMany([{ key: "k", value: new Uint8Array([1]), ttlSeconds: 60 }])],
    ["del", () => store.del(["k"])],
    ["exists", () => store.exists("k")],
    ["deleteMatching", () => store.deleteMatching("k*")],
    ["getString", () => store.getString("v")],
    ["setString", () => store.setString("v", "1")],
    ["incr", () => store.incr("n")],
    ["smismember", () => store.smismember("s", ["a", "b"])],
    ["smismemberMany", () => store.smismemberMany(["s", "t"], ["a", "b"])],
    ["setIfAbsent", () => store.setIfAbsent("lock", "me", 60)],
    ["sadd", () => store.sadd("s", ["a", "b"])],
    ["srem", () => store.srem("s", ["a"])],
    ["scard", () => store.scard("s")],
    ["smembers", () => store.smembers("s")],
    ["rename", () => store.rename("s", "t")],
    ["xadd", () => store.xadd("log", { name: "a" }, 10)],
    ["xaddMany", () => store.xaddMany("log", [{ name: "a" }], 10)],
    ["xrevrange", () => store.xrevrange("log", 5)],
    [
      "addCounters",
      () => store.addCounters([{ key: "h", kind: "hash", field: "f", by: 1, ttlSeconds: 60 }], 10),
    ],
    ["readCounters", () => store.readCounters(["h"], ["z"], 10)],
    ["ping", () => store.ping()],
  ];
}

/** All calls at once against a broken Redis: each a StoreError, all within the timeout. */
async function assertEveryCallFailsInTime(store: RedisStore, what: string) {
  const started = performance.now();
  const outcomes = await Promise.allSettled(everyCall(store).map(([, call]) => call()));
  const elapsed = performance.now() - started;
  outcomes.forEach((outcome, i) => {
    const name = everyCall(store)[i][0];
    assert.equal(outcome.status, "rejected", `${what}: ${name} should fail`);
    const error = (outcome as PromiseRejectedResult).reason;
    assert.ok(error instanceof StoreError, `${what}: ${name} rejected with ${error}`);
    assert.match(
      error.message,
      /^redis [A-Z]+( \((pipeline|NX)\))? (timed out after 250 ms|failed: .+)$/,
    );
    assert.doesNotMatch(error.message, /\n/);
  });
  assert.ok(elapsed < TIMEOUT_MS + SLACK_MS, `${what}: all failed after ${elapsed.toFixed(0)} ms`);
}

async function assertWorks(store: RedisStore) {
  await store.set("k", new Uint8Array([4, 2]), 60);
  assert.deepEqual(await store.get("k"), new Uint8Array([4, 2]));
  assert.deepEqual(await store.smismember("s", ["a"]), [false]);
}

const EVERY_BYTE = Uint8Array.from({ length: 256 }, (_, i) => i);

for (const [label, connect] of REDIS_CLIENTS) {
  storeTest(
    `${label}: binary values survive exactly, all 256 byte values`,
    connect,
    async (store) => {
      await store.set("one", EVERY_BYTE, 60);
      assert.deepEqual(await store.get("one"), EVERY_BYTE);
      await store.setMany(
        Array.from({ length: 50 }, (_, i) => ({
          key: `many${i}`,
          value: EVERY_BYTE.map((b) => b ^ i),
          ttlSeconds: 60,
        })),
      );
      assert.deepEqual(await store.get("many7"), EVERY_BYTE.map((b) => b ^ 7));
      assert.deepEqual(await store.mget(["many0", "missing", "many49"]), [
        EVERY_BYTE,
        null,
        EVERY_BYTE.map((b) => b ^ 49),
      ]);
      assert.deepEqual(await store.get("empty-value-key"), null);
      await store.set("empty", new Uint8Array(), 60);
      assert.deepEqual(await store.get("empty"), new Uint8Array());
      assert.deepEqual(await store.mget([]), []);
      await store.setMany([]);
    },
  );

  storeTest(
    `${label}: values expire after their TTL (set on Redis as given)`,
    connect,
    async (store, redis) => {
      await store.set("short", new Uint8Array([1]), 1);
      await store.setMany([{ key: "batch", value: new Uint8Array([2]), ttlSeconds: 30 }]);
      await store.setString("version", "7", 120);
      await store.setString("forever", "x");
      const pttl = async (key: string) => Number(await inspect(redis, "PTTL", key));
      const short = await pttl("short");
      assert.ok(short > 0 && short <= 1000, `PTTL of a 1 s value: ${short}`);
      const batch = await pttl("batch");
      assert.ok(batch > 29_000 && batch <= 30_000, `PTTL of a 30 s value: ${batch}`);
      assert.ok(await pttl("version") > 119_000);
      assert.equal(await pttl("forever"), -1, "no TTL unless asked");
      // Expiry itself is Redis's job: make "short" due now rather than sleeping a second.
      await inspect(redis, "PEXPIRE", "short", "1");
      await eventually(async () => assert.equal(await store.get("short"), null), 1000);
      assert.equal(await store.exists("short"), false);
    },
  );

  storeTest(
    `${label}: smismember answers 10 members in one round trip`,
    connect,
    async (store, redis) => {
      await store.sadd("blocked", ["ads.example", "example", "tracker.test"]);
      await inspect(redis, "CONFIG", "RESETSTAT");
      const names = Array.from({ length: 10 }, (_, i) => i === 3 ? "example" : `name${i}.example`);
      names[7] = "tracker.test";
      const found = await store.smismember("blocked", names);
      assert.deepEqual(found, names.map((n) => n === "example" || n === "tracker.test"));
      assert.equal(await callsOf(redis, "smismember"), 1);
      assert.deepEqual(await store.smismember("no-such-set", ["a", "b"]), [false, false]);
      assert.deepEqual(await store.smismember("blocked", []), []);
    },
  );

  storeTest(
    `${label}: smismemberMany asks several sets in one round trip`,
    connect,
    async (store, redis) => {
      await store.sadd("allow", ["good.example"]);
      await store.sadd("deny", ["ads.example", "good.example"]);
      await inspect(redis, "CONFIG", "RESETSTAT");
      const members = ["x.ads.example", "ads.example", "good.example", "example"];
      assert.deepEqual(await store.smismemberMany(["allow", "deny", "missing"], members), [
        [false, false, true, false],
        [false, true, true, false],
        [false, false, false, false],
      ]);
      assert.equal(await callsOf(redis, "smismember"), 3);
      assert.deepEqual(await store.smismemberMany([], members), []);
      assert.deepEqual(await store.smismemberMany(["deny"], []), [[]]);
    },
  );

  storeTest(
    `${label}: setIfAbsent takes a lock once, until it expires`,
    connect,
    async (store, redis) => {
      assert.equal(await store.setIfAbsent("lock", "first", 60), true);
      assert.equal(await store.setIfAbsent("lock", "second", 60), false);
      assert.equal(await store.getString("lock"), "first");
      const ttl = Number(await inspect(redis, "TTL", "lock"));
      assert.ok(ttl > 50 && ttl <= 60, `TTL ${ttl}`);
      await inspect(redis, "DEL", "lock");
      assert.equal(await store.setIfAbsent("lock", "third", 60), true);
    },
  );

  storeTest(
    `${label}: sadd of 10,000 members goes in chunks, then scard counts them`,
    connect,
    async (store, redis) => {
      const members = Array.from({ length: 10_000 }, (_, i) => `host${i}.example`);
      await inspect(redis, "CONFIG", "RESETSTAT");
      assert.equal(await store.sadd("list", members), 10_000);
      assert.equal(await callsOf(redis, "sadd"), 10, "1,000 members per round trip");
      assert.equal(await store.scard("list"), 10_000);
      assert.equal(await store.sadd("list", members.slice(0, 5)), 0, "already there");
      assert.equal(await store.srem("list", [...members.slice(0, 1500), "never.added"]), 1500);
      assert.equal(await store.scard("list"), 8500);
      assert.equal(await store.scard("no-such-set"), 0);
      assert.deepEqual(await store.smembers("no-such-set"), []);
      await store.sadd("small", ["b.example", "a.example"]);
      assert.deepEqual((await store.smembers("small")).sort(), ["a.example", "b.example"]);
      assert.equal(await store.sadd("list", []), 0);
    },
  );

  storeTest(
    `${label}: rename swaps a freshly loaded set in, replacing the old one`,
    connect,
    async (store) => {
      await store.sadd("live", ["old.example", "both.example"]);
      await store.sadd("next", ["new.example", "both.example"]);
      await store.rename("next", "live");
      assert.deepEqual(
        await store.smismember("live", ["old.example", "new.example", "both.example"]),
        [false, true, true],
      );
      assert.equal(await store.scard("live"), 2);
      assert.equal(await store.exists("next"), false);
      await assert.rejects(store.rename("next", "live"), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, /^redis RENAME failed: .*no such key/i);
        return true;
      });
      assert.equal(await store.scard("live"), 2, "a failed rename leaves the target alone");
    },
  );

  storeTest(`${label}: counters and version keys`, connect, async (store) => {
    assert.equal(await store.getString("version"), null);
    assert.equal(await store.incr("version"), 1);
    assert.equal(await store.incr("version"), 2);
    assert.equal(await store.getString("version"), "2");
    await store.setString("list-etag", 'W/"abc é ✓"');
    assert.equal(await store.getString("list-etag"), 'W/"abc é ✓"');
    await store.setString("number-like", "123");
    assert.equal(await store.getString("number-like"), "123", "text stays text");
    assert.equal(await store.exists("version"), true);
    assert.equal(await store.del(["version", "list-etag", "missing"]), 2);
    assert.equal(await store.exists("version"), false);
    assert.equal(await store.del([]), 0);
  });

  storeTest(
    `${label}: a stream keeps about maxLen entries, newest first`,
    connect,
    async (store, redis) => {
      let last = "";
      for (let i = 0; i < 400; i++) {
        last = await store.xadd("log", { name: `q${i}.example`, source: "cache" }, 100);
      }
      assert.match(last, /^\d+-\d+$/);
      const length = Number(await inspect(redis, "XLEN", "log"));
      // "~" trims whole stream nodes (100 entries each by default): at least 100 stay.
      assert.ok(length >= 100 && length <= 200, `XLEN after trimming: ${length}`);
      const newest = await store.xrevrange("log", 3);
      assert.deepEqual(newest.map((entry) => entry.fields), [
        { name: "q399.example", source: "cache" },
        { name: "q398.example", source: "cache" },
        { name: "q397.example", source: "cache" },
      ]);
      assert.equal(newest[0].id, last);
      assert.deepEqual(await store.xrevrange("no-such-stream", 3), []);
    },
  );

  storeTest(
    `${label}: deleteMatching deletes by pattern through every SCAN page`,
    connect,
    async (store) => {
      const entries = Array.from({ length: 2500 }, (_, i) => ({
        key: `cache:n${i}.example|1|1|00`,
        value: new Uint8Array([i & 0xff]),
        ttlSeconds: 60,
      }));
      // In batches: one pipeline of 2,500 writes can outlast the 250 ms timeout on a busy machine.
      for (let i = 0; i < entries.length; i += 500) await store.setMany(entries.slice(i, i + 500));
      await store.set("cache:www.example|1|1|00", new Uint8Array([1]), 60);
      await store.set("cache:www.example|28|1|00", new Uint8Array([1]), 60);
      await store.set("other:www.example|1|1|00", new Uint8Array([1]), 60);
      assert.equal(await store.deleteMatching("cache:www.example|*"), 2);
      assert.equal(await store.exists("other:www.example|1|1|00"), true);
      assert.equal(await store.deleteMatching("cache:*"), 2500);
      assert.equal(await store.deleteMatching("cache:*"), 0);
      assert.equal(await store.exists("other:www.example|1|1|00"), true);
    },
  );

  storeTest(
    `${label}: xaddMany appends a batch in order, trimmed`,
    connect,
    async (store, redis) => {
      await inspect(redis, "CONFIG", "RESETSTAT");
      const batch = Array.from({ length: 250 }, (_, i) => ({ name: `b${i}.example` }));
      await store.xaddMany("log", batch, 100);
      await store.xaddMany("log", [], 100);
      assert.equal(await callsOf(redis, "xadd"), 250);
      const length = Number(await inspect(redis, "XLEN", "log"));
      assert.ok(length >= 100 && length <= 200, `XLEN after trimming: ${length}`);
      const newest = await store.xrevrange("log", 2);
      assert.deepEqual(newest.map((entry) => entry.fields.name), ["b249.example", "b248.example"]);
    },
  );

  storeTest(
    `${label}: addCounters adds to hashes and sorted sets in one pipeline, with expiry and a cap`,
    connect,
    async (store, redis) => {
      const update = (key: string, kind: "hash" | "zset", field: string, by: number) => ({
        key,
        kind,
        field,
        by,
        ttlSeconds: 600,
      });
      await store.addCounters([
        update("h", "hash", "answered|", 2),
        update("h", "hash", "blocked|laptop", 1),
        update("z", "zset", "a.example", 5),
        update("z", "zset", "b.example", 1),
        update("z", "zset", "c.example", 3),
      ], 2);
      await store.addCounters([update("h", "hash", "answered|", 3)], 2);
      const read = await store.readCounters(["h", "missing"], ["z", "nothing"], 10);
      assert.deepEqual(read.hashes, [{ "answered|": "5", "blocked|laptop": "1" }, {}]);
      assert.deepEqual(read.tops, [[["a.example", 5], ["c.example", 3]], []]);
      const ttl = Number(await inspect(redis, "TTL", "z"));
      assert.ok(ttl > 590 && ttl <= 600, `TTL ${ttl}`);
      await store.addCounters([], 2);
    },
  );

  storeTest(
    `${label}: a hanging Redis (SIGSTOP) fails every call in time, then recovers`,
    connect,
    async (store, redis) => {
      await store.sadd("s", ["a"]);
      redis.pause();
      await assertEveryCallFailsInTime(store, "hanging");
      await assertEveryCallFailsInTime(store, "still hanging");
      redis.resume();
      await eventually(() => assertWorks(store));
    },
  );

  storeTest(
    `${label}: a hanging Redis holds at most maxWaiting calls, the rest fail at once, counted`,
    connect,
    async (store, redis) => {
      await inspect(redis, "CONFIG", "RESETSTAT");
      redis.pause();
      // Rounds of calls a busy gateway makes while Redis hangs, for long enough that the
      // client gives up on its connection and makes a new one (that hangs too).
      let dropped = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const started = performance.now();
        const calls = Array.from({ length: PER_ROUND }, (_, i) => store.get(`k${round}-${i}`));
        const waiting = store.callCounts().waiting;
        assert.ok(waiting <= MAX_WAITING, `round ${round}: ${waiting} calls waiting`);
        for (const outcome of await Promise.allSettled(calls)) {
          assert.equal(outcome.status, "rejected");
          const error = (outcome as PromiseRejectedResult).reason;
          assert.ok(error instanceof StoreError, String(error));
          if (error.message === `redis GET dropped: ${MAX_WAITING} calls already waiting`) {
            dropped++;
          }
        }
        const elapsed = performance.now() - started;
        assert.ok(elapsed < TIMEOUT_MS + SLACK_MS, `round ${round}: ${elapsed.toFixed(0)} ms`);
        await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
      }
      assert.ok(dropped >= ROUNDS * (PER_ROUND - MAX_WAITING), `${dropped} calls dropped`);
      assert.equal(store.callCounts().dropped, dropped, "every dropped call is counted");
      redis.resume();
      await eventually(() => store.ping());
      await new Promise((resolve) => setTimeout(resolve, 200));
      // What reached Redis once it moved again: no more than could wait each round, not every
      // call made while it hung.
      const sent = await callsOf(redis, "get");
      assert.ok(sent <= ROUNDS * MAX_WAITING, `${sent} of ${ROUNDS * PER_ROUND} GETs were sent`);
      await eventually(() => assertWorks(store));
      await eventually(() => {
        assert.equal(store.callCounts().waiting, 0, "nothing left waiting");
        return Promise.resolve();
      });
    },
    { maxWaiting: MAX_WAITING },
  );

  storeTest(
    `${label}: a stopped Redis fails every call in time, then recovers on restart`,
    connect,
    async (store, redis) => {
      await redis.stop();
      await assertEveryCallFailsInTime(store, "stopped");
      await redis.start();
      await eventually(() => assertWorks(store));
      await redis.restart();
      await eventually(() => assertWorks(store));
    },
  );
}

for (const [label, connect] of REDIS_CLIENTS) {
  Deno.test({
    name: `${label}: a store made while Redis is down fails in time, and connects when it is up`,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      await redis.stop();
      const { store, close } = connect(redis, { timeoutMs: TIMEOUT_MS });
      try {
        await assertEveryCallFailsInTime(store, "never connected");
        await redis.start();
        await eventually(() => assertWorks(store));
      } finally {
        await close();
        await redis.stop();
      }
    },
  });
}
