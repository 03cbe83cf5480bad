/**
 * The Redis blocklist store, through each client, against a real redis-server on loopback
 * (`deno task bench:blocklist-redis`): how long loading a synthetic list takes, and how many
 * uncached decisions per second one instance gets (each one pipelined SMISMEMBER of a
 * 5-label name's candidates against the custom and the loaded list's sets), with the decision
 * cache off and DECISION_CONCURRENCY decisions in flight, plus their p50/p99 latency.
 *
 * env: BENCH_DOMAINS (default 200000), BENCH_DECISIONS (default 20000),
 * DECISION_CONCURRENCY (default 32).
 */
import { RedisBlocklist } from "../blocklist/redis_blocklist.ts";
import { startRedis } from "../tests/support/redis.ts";
import { REDIS_CLIENTS } from "../tests/support/redis_clients.ts";

const DOMAINS = Number(Deno.env.get("BENCH_DOMAINS") ?? 200_000);
const DECISIONS = Number(Deno.env.get("BENCH_DECISIONS") ?? 20_000);
const CONCURRENCY = Number(Deno.env.get("DECISION_CONCURRENCY") ?? 32);

const domains = Array.from({ length: DOMAINS }, (_, i) => `host${i}.ads${i % 997}.example`);
/** 5-label names, half of them under a listed domain. */
const names = Array.from(
  { length: DECISIONS },
  (_, i) =>
    i % 2 === 0
      ? `a.b.host${(i * 7919) % DOMAINS}.ads${((i * 7919) % DOMAINS) % 997}.example`
      : `a.b.c.miss${i}.example`,
);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

const rows: string[] = [];
const redis = await startRedis();
try {
  for (const [label, connect] of REDIS_CLIENTS) {
    await new Deno.Command("redis-cli", { args: ["-p", String(redis.port), "FLUSHALL"] }).output();
    const { store, close } = connect(redis, { timeoutMs: 5000 });
    const blocklist = new RedisBlocklist(store, {
      prefix: "bench:",
      decisionLifetimeMs: 0,
      pollMs: 0,
    });
    try {
      await store.ping().catch(() => store.ping());
      const loadStarted = performance.now();
      await blocklist.load([{ name: "synthetic", block: domains, allow: [] }]);
      const loadSeconds = (performance.now() - loadStarted) / 1000;

      let blocked = 0;
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      const worker = async () => {
        while (next < names.length) {
          const name = names[next++];
          const t0 = performance.now();
          if ((await blocklist.decide(name)).verdict === "blocked") blocked++;
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const seconds = (performance.now() - started) / 1000;
      if (blocked !== DECISIONS / 2) {
        throw new Error(`${label}: ${blocked} blocked, expected ${DECISIONS / 2}`);
      }
      latencies.sort((a, b) => a - b);
      rows.push(
        `| ${label} | ${DOMAINS} | ${loadSeconds.toFixed(1)} | ${
          (DECISIONS / seconds).toFixed(0)
        } | ` +
          `${percentile(latencies, 0.5).toFixed(2)} | ${percentile(latencies, 0.99).toFixed(2)} |`,
      );
      console.error(rows.at(-1));
    } finally {
      blocklist.close();
      await close();
    }
  }
} finally {
  await redis.stop();
}

const table = [
  `Redis blocklist store, ${new Date().toISOString().slice(0, 10)}, Deno ${Deno.version.deno}, ` +
  `${navigator.hardwareConcurrency} CPUs, redis-server on loopback; ${DECISIONS} uncached decisions ` +
  `of 5-label names (half blocked), ${CONCURRENCY} in flight.`,
  "",
  "| client | domains | load s | decisions/s | p50 ms | p99 ms |",
  "| --- | ---: | ---: | ---: | ---: | ---: |",
  ...rows,
  "",
].join("\n");
console.log(table);
await Deno.mkdir(new URL("results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(new URL("results/blocklist_redis.md", import.meta.url), table);
