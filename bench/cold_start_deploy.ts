/**
 * What a cold Deno Deploy isolate costs before its first answer (`deno task bench:cold-deploy`):
 * the gateway started as Deploy runs it (no unstable APIs, so no UDP; no write permission, no
 * FFI; settings from the environment), forwarding over DoH (dnsdist in front of knot), in three
 * setups, against a bare Deno.serve (bench/floor_doh.ts):
 * - no lists;
 * - a 1,000,000-domain list downloaded from a local list server into memory, as every isolate
 *   without Redis does;
 * - Upstash over REST with that list already in Redis (an earlier isolate synced it): the
 *   Upstash-compatible bridge over a local redis-server stands in for Upstash, which this
 *   machine cannot reach, so the round trips are loopback ones, not a region's.
 * Each start is timed from spawn to the first 200 on /dns-query (a name asked upstream), and to
 * the first answer that the list blocks. Servers pinned to CPU 0; rounds alternate the setups;
 * medians. Writes bench/results/cold_start_deploy.md.
 *
 * env: BENCH_ROUNDS (default 7).
 */
import { RType } from "../dns/mod.ts";
import { coldStart, FLOOR_ARGS } from "./cold_start.ts";
import { saveResults } from "./floor.ts";
import { median } from "./load_round.ts";
import { startEncryptedUpstream } from "../tests/support/dnsdist.ts";
import { makeQuery } from "../tests/support/dns_query.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { startListServer } from "../tests/support/list_server.ts";
import { freePort } from "../tests/support/ports.ts";
import { startRedis } from "../tests/support/redis.ts";
import { TEST_ZONE } from "../tests/support/test_zone.ts";
import { startUpstashBridge } from "../tests/support/upstash_bridge.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 7);
const DOMAINS = 1_000_000;
/** Asked first: not listed, so answered from upstream. */
const ALLOWED = `mail.${TEST_ZONE}`;
/** Listed: NXDOMAIN once the list is in force (knot has addresses for it). */
const LISTED = `www.${TEST_ZONE}`;
const NXDOMAIN = 3;

interface Times {
  firstMs: number;
  /** Until the list blocks; NaN without lists. */
  listedMs: number;
}

const dohUrl = (port: number, name: string) =>
  `http://127.0.0.1:${port}/dns-query?dns=${
    makeQuery(name, RType.A).toBase64({ alphabet: "base64url", omitPadding: true })
  }`;

/** The rcode of a DoH GET's answer, or undefined when there is none yet. */
async function ask(port: number, name: string): Promise<number | undefined> {
  try {
    const response = await fetch(dohUrl(port, name));
    const body = new Uint8Array(await response.arrayBuffer());
    return response.status === 200 && body.length >= 4 ? body[3] & 0x0f : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns the gateway as Deploy runs it, with `env`; times its first answer and its list. */
async function deployStart(
  config: string,
  env: Record<string, string>,
  listed: boolean,
): Promise<Times> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command("taskset", {
    args: [
      ...["-c", "0", Deno.execPath(), "run", "--config", config, "--lock", `${ROOT}deno.lock`],
      ...["--allow-net", "--allow-env", "--allow-read", "main.ts"],
    ],
    cwd: ROOT,
    env: { ...env, HTTP_PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = started + 60_000;
  const until = async (done: () => Promise<boolean>) => {
    while (!await done()) {
      if (performance.now() > deadline) throw new Error("no answer within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return performance.now() - started;
  };
  try {
    const firstMs = await until(async () => await ask(port, ALLOWED) !== undefined);
    const listedMs = listed ? await until(async () => await ask(port, LISTED) === NXDOMAIN) : NaN;
    return { firstMs, listedMs };
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

async function main() {
  const upstream = await startEncryptedUpstream();
  const redis = await startRedis();
  const bridge = startUpstashBridge(redis.url);
  const lists = startListServer();
  const config = await Deno.makeTempFile({ prefix: "deploy-like-", suffix: ".json" });
  const stops = [upstream.stop, redis.stop, bridge.close, lists.close, () => Deno.remove(config)];
  try {
    const project = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
    await Deno.writeTextFile(config, JSON.stringify({ imports: project.imports }));
    const names = [LISTED];
    for (let i = 1; i < DOMAINS; i++) names.push(`h${i.toString(36)}.list${i % 997}.example`);
    lists.set("bench", names.join("\n") + "\n");
    const base = {
      DENO_DEPLOYMENT_ID: "bench-cold-deploy",
      UPSTREAMS: upstream.dohUrl,
      UPSTREAM_CA_FILE: upstream.cert.certFile,
      BLOCKLIST_URLS: "",
    };
    const withList = { ...base, BLOCKLIST_URLS: `bench=${lists.url}/bench` };
    const upstash = {
      ...withList,
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
    };
    // An earlier isolate synced the list into Redis; a cold one finds it there.
    const first = await startGateway({ deployLike: true, env: upstash, stdout: "null" });
    try {
      const deadline = Date.now() + 120_000;
      while (!/list bench: .*block/.test(first.stderr())) {
        if (Date.now() > deadline) throw new Error(`list not synced:\n${first.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await first.stop();
    }

    const setups: [string, () => Promise<Times>][] = [
      ["bare Deno.serve (bench/floor_doh.ts)", async () => ({
        firstMs: await coldStart(FLOOR_ARGS, { ANSWER_BASE64: "AAA=" }),
        listedMs: NaN,
      })],
      ["gateway, no lists", () => deployStart(config, base, false)],
      [
        `gateway, ${DOMAINS.toLocaleString("en")}-domain list in memory`,
        () => deployStart(config, withList, true),
      ],
      [
        "gateway, Upstash REST (local stand-in), the list in Redis",
        () => deployStart(config, upstash, true),
      ],
    ];
    const times = new Map<string, Times[]>(setups.map(([label]) => [label, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? setups : [...setups].reverse();
      for (const [label, start] of order) times.get(label)!.push(await start());
    }
    const fmt = (ms: number) => Number.isFinite(ms) ? ms.toFixed(0) : "—";
    const table = [
      `Cold start as on Deno Deploy, ${
        new Date().toISOString().slice(0, 10)
      }, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, servers on CPU 0; spawn → first 200 on ` +
      "/dns-query over plain HTTP (a name asked upstream over DoH: dnsdist in front of knot), " +
      `and → the first answer the list blocks; medians of ${ROUNDS} alternating rounds. ` +
      "Upstash is stood in for by its REST protocol over a local redis-server " +
      "(tests/support/upstash_bridge.ts), so its round trips are loopback ones.",
      "",
      "| setup | first answer ms | list in force ms | every round, first answer ms |",
      "| --- | ---: | ---: | --- |",
      ...setups.map(([label]) => {
        const rounds = times.get(label)!;
        return `| ${label} | ${fmt(median(rounds.map((t) => t.firstMs)))} | ${
          fmt(median(rounds.map((t) => t.listedMs)))
        } | ${rounds.map((t) => fmt(t.firstMs)).join(", ")} |`;
      }),
      "",
    ].join("\n");
    await saveResults("cold_start_deploy.md", table);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

await main();
