/**
 * The real gateway when its Redis hangs: SIGSTOP keeps the connections open and answers
 * nothing, the worst a Redis can do. Every DoH query is still answered within the query
 * budget (each Redis call gives up at REDIS_TIMEOUT_MS), a burst of misses meanwhile piles
 * up no more than REDIS_MAX_WAITING calls (nor memory), and once Redis moves again the shared
 * cache works again without a restart. Redis down at start, going away and coming back empty
 * are in blocklist_test.ts and shared_cache_test.ts.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { sample } from "../support/prometheus.ts";
import { startRedis } from "../support/redis.ts";
import { inspect } from "../support/redis_inspect.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { residentMemory } from "../support/process_memory.ts";

const QUERY_TIMEOUT_MS = 2000;

const ask = (url: string, name: string, type: number = RType.A) =>
  askDoh(url, name, type, { id: 9, edns: {} });

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

/** The resident memory of process `pid`, in MB (Linux). */
async function rssMb(pid: number): Promise<number> {
  const { rss } = await residentMemory(pid);
  if (Number.isNaN(rss)) throw new Error(`no VmRSS for process ${pid}`);
  return rss / 2 ** 20;
}

const MAX_WAITING = 100;
/** Misses sent while Redis hangs, one every PACE_MS, CONCURRENCY at most at a time. */
const BURST = 3000;
const PACE_MS = 2;
const CONCURRENCY = 256;
/** The longest the burst may take. */
const BURST_MS = 20_000;
/** RSS growth allowed over the burst and just after Redis resumes: garbage not yet collected. */
const RSS_GROWTH_MB = 40;

Deno.test({
  name: "a burst of misses while Redis hangs waits on at most REDIS_MAX_WAITING calls",
  ...integration(["knotd", "knotc", "redis-server"]),
  async fn() {
    const knot = await startKnot();
    const redis = await startRedis();
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        REDIS_URL: redis.url,
        REDIS_FAIL: "open",
        REDIS_MAX_WAITING: String(MAX_WAITING),
        QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        DOH_RATE: "0",
      },
      stdout: "null",
    });
    const metric = async (name: string) => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      const value = sample(text, name);
      assert.notEqual(value, undefined, `${name} in /metrics`);
      return value!;
    };
    let burst: Promise<void> | undefined;
    let stopping = false;
    try {
      // As many misses with Redis well first: the memory they take anyway (heap grown to
      // its working size, caches) is not counted against the hang.
      let warm = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (warm < BURST) await ask(gateway.url, `warm${warm++}.${TEST_ZONE}`);
      }));
      const before = await rssMb(gateway.pid);

      redis.pause();
      // Misses at a steady pace, as from busy clients, for longer than the client takes to give
      // up on its first connection: then it waits on a new one that hangs too.
      let answered = 0;
      const failures: unknown[] = [];
      const asking = new Set<Promise<void>>();
      burst = (async () => {
        const deadline = Date.now() + BURST_MS;
        for (let i = 0; i < BURST && Date.now() < deadline && !stopping; i++) {
          const one: Promise<void> = ask(gateway.url, `miss${i}.${TEST_ZONE}`).then(
            ({ reply }) => {
              assert.equal(reply.header.rcode, Rcode.NXDOMAIN, "answered from knot, unfiltered");
              answered++;
            },
          ).catch((error) => void failures.push(error)).finally(() => asking.delete(one));
          asking.add(one);
          if (asking.size >= CONCURRENCY) await Promise.race(asking);
          await new Promise((resolve) => setTimeout(resolve, PACE_MS));
        }
        await Promise.all(asking);
      })();
      let bursting = true;
      burst.finally(() => (bursting = false));
      let highest = 0;
      while (bursting) {
        highest = Math.max(highest, await metric("dns_redis_calls_waiting"));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await burst;
      assert.deepEqual(failures, [], "every miss answered");
      assert.ok(answered >= 1000, `only ${answered} misses answered while Redis hung`);
      assert.ok(highest <= MAX_WAITING, `${highest} calls waited on Redis at once`);
      assert.ok(highest > 0, "calls did wait on the hanging Redis");
      assert.ok(await metric("dns_redis_calls_dropped_total") > 0, "calls over the bound dropped");
      const during = await rssMb(gateway.pid);

      redis.resume();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = await rssMb(gateway.pid);
      const growth = Math.max(during, after) - before;
      assert.ok(
        growth < RSS_GROWTH_MB,
        `RSS ${before.toFixed(0)} MB before, ${during.toFixed(0)} MB after ${answered} misses, ` +
          `${after.toFixed(0)} MB once Redis resumed`,
      );

      // Redis is used again: a new answer is written to the shared cache.
      await eventually(async () => {
        const name = `back${crypto.randomUUID().slice(0, 8)}.${TEST_ZONE}`;
        await ask(gateway.url, name);
        await new Promise((resolve) => setTimeout(resolve, 200)); // the write-behind batch
        const keys = await inspect(redis, "KEYS", `dns:cache:${name}|*`);
        assert.equal((keys as string[]).length, 1, `${name} in the shared cache`);
      }, 10_000);
      const stderr = gateway.stderr();
      assert.doesNotMatch(stderr, /MaxListenersExceededWarning/);
      assert.equal(stderr.includes("\n    at "), false, "no stack traces");
    } finally {
      stopping = true;
      await burst;
      redis.resume();
      await gateway.stop();
      await redis.stop();
      await knot.stop();
    }
  },
});
