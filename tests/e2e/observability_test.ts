/**
 * What operators see, from the real gateway process: after a scripted mix of queries over
 * DoH (upstream answers, cache hits, blocked names, NXDOMAIN), `/metrics` counts exactly that
 * mix and the query log has one line per query. With Redis, instance B's admin API shows the
 * queries instance A answered, through the shared stream, for both Redis clients.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { GATEWAY_REDIS_CLIENTS, gatewayRedis } from "../support/gateway_redis.ts";
import { startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { sample } from "../support/prometheus.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { runToEnd } from "../support/tools.ts";

const ADMIN_TOKEN = "observability-e2e-token";

async function block(gateway: Gateway, name: string): Promise<void> {
  const response = await fetch(`${gateway.url}/admin/blocklist/custom/block`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ names: [name] }),
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
}

Deno.test({
  name: "/metrics and the query log account for every query of a scripted mix",
  ...integration(["knotd"]),
  async fn() {
    await withKnotGateway({ env: { ADMIN_TOKEN } }, async (gateway, knot) => {
      await block(gateway, `ads.${TEST_ZONE}`);
      // 3× www A: one upstream answer, two cache hits; 2× mail AAAA... (knot: NODATA + SOA).
      const mix: [string, number, number][] = [
        [`www.${TEST_ZONE}`, RType.A, Rcode.NOERROR],
        [`www.${TEST_ZONE}`, RType.A, Rcode.NOERROR],
        [`www.${TEST_ZONE}`, RType.A, Rcode.NOERROR],
        [`mail.${TEST_ZONE}`, RType.AAAA, Rcode.NOERROR],
        [`mail.${TEST_ZONE}`, RType.AAAA, Rcode.NOERROR],
        [`x.ads.${TEST_ZONE}`, RType.A, Rcode.NXDOMAIN],
        [`nothing.${TEST_ZONE}`, RType.A, Rcode.NXDOMAIN],
        [`multi.${TEST_ZONE}`, RType.TXT, Rcode.NOERROR],
      ];
      for (const [name, type, rcode] of mix) {
        assert.equal((await askDoh(gateway.url, name, type)).reply.header.rcode, rcode, name);
      }

      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      const q = (type: string, source: string, rcode: string) =>
        sample(text, "dns_queries_total", { door: "doh", type, source, rcode }) ?? 0;
      assert.equal(q("A", "upstream", "NOERROR"), 1);
      assert.equal(q("A", "cache", "NOERROR"), 2);
      assert.equal(q("AAAA", "upstream", "NOERROR"), 1);
      assert.equal(q("AAAA", "cache", "NOERROR"), 1);
      assert.equal(q("A", "blocked", "NXDOMAIN"), 1);
      assert.equal(q("A", "upstream", "NXDOMAIN"), 1);
      assert.equal(q("TXT", "upstream", "NOERROR"), 1);
      assert.equal(sample(text, "dns_query_duration_seconds_count", { source: "cache" }), 3);
      const upstream = `udp://127.0.0.1:${knot.port}`;
      assert.equal(sample(text, "dns_upstream_attempts_total", { upstream, outcome: "answer" }), 4);
      assert.equal(sample(text, "dns_upstream_duration_seconds_count", { upstream }), 4);
      assert.equal(sample(text, "dns_blocklist_decisions_total", { verdict: "blocked" }), 1);
      assert.equal(sample(text, "dns_blocklist_entries", { list: "custom", kind: "block" }), 1);
      assert.equal(sample(text, "dns_cache_lookups_total", { result: "hit" }), 3);
      // Without a profiles file every query is the default profile's.
      const p = (source: string) =>
        sample(text, "dns_profile_queries_total", { profile: "default", source }) ?? 0;
      assert.deepEqual([p("upstream"), p("cache"), p("blocked")], [4, 3, 1]);

      const log = await gateway.waitForStdout((out) => out.trim().split("\n").length >= mix.length);
      const lines = log.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(lines.length, mix.length, "one line per query");
      assert.deepEqual(lines.map((l) => [l.name, l.source]), [
        [`www.${TEST_ZONE}`, "upstream"],
        [`www.${TEST_ZONE}`, "cache"],
        [`www.${TEST_ZONE}`, "cache"],
        [`mail.${TEST_ZONE}`, "upstream"],
        [`mail.${TEST_ZONE}`, "cache"],
        [`x.ads.${TEST_ZONE}`, "blocked"],
        [`nothing.${TEST_ZONE}`, "upstream"],
        [`multi.${TEST_ZONE}`, "upstream"],
      ]);
      assert.ok(lines.every((l) => l.client === "127.0.0.1" && l.door === "doh"));
      assert.ok(lines.every((l) => !("profile" in l)), "the default profile goes unsaid");
      assert.equal(lines[0].upstream, upstream);
      assert.equal(lines[5].rule, `custom: ads.${TEST_ZONE}`);
      assert.ok(!log.includes(ADMIN_TOKEN), "no secret in the log");
    });
  },
});

for (const client of GATEWAY_REDIS_CLIENTS) {
  Deno.test({
    name: `instance B's admin API shows the queries instance A answered (${client})`,
    ...integration(["knotd", "redis-server"]),
    async fn() {
      const knot = await startKnot();
      const redis = await startRedis();
      const { env: redisEnv, bridge } = gatewayRedis(client, redis);
      const env = {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        ADMIN_TOKEN,
        LOG_QUERIES: "off",
        ...redisEnv,
      };
      const a = await startGateway({ env: { ...env, INSTANCE_NAME: "a" } });
      const b = await startGateway({ env: { ...env, INSTANCE_NAME: "b" } });
      try {
        await askDoh(a.url, `www.${TEST_ZONE}`);
        await askDoh(a.url, `mail.${TEST_ZONE}`);
        await askDoh(b.url, `ns1.${TEST_ZONE}`);
        await eventually(async () => {
          const response = await fetch(`${b.url}/admin/log?limit=10`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          const body = await response.json();
          assert.equal(body.source, "redis");
          const seen = body.entries.map((e: { instance: string; entry: { name: string } }) =>
            `${e.instance} ${e.entry.name}`
          ).sort();
          assert.deepEqual(seen, [
            `a mail.${TEST_ZONE}`,
            `a www.${TEST_ZONE}`,
            `b ns1.${TEST_ZONE}`,
          ]);
        }, 5000);
        // Filters over the shared stream: by the client as logged, and by profile.
        const names = async (parameters: string) => {
          const response = await fetch(`${b.url}/admin/log?${parameters}`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          const body = await response.json();
          return body.entries.map((e: { entry: { name: string } }) => e.entry.name).sort();
        };
        assert.deepEqual(await names("client=127.0.0.1&profile=default"), [
          `mail.${TEST_ZONE}`,
          `ns1.${TEST_ZONE}`,
          `www.${TEST_ZONE}`,
        ]);
        assert.deepEqual(await names("profile=kids"), []);
        assert.deepEqual(await names("client=192.0.2.1"), []);
      } finally {
        await a.stop();
        await b.stop();
        await bridge?.close();
        await redis.stop();
        await knot.stop();
      }
    },
  });
}

Deno.test("with METRICS_TOKEN, the real gateway's /metrics asks curl for the bearer token", async () => {
  const metricsToken = "metrics-token-0123456789";
  const gateway = await startGateway({ env: { METRICS_TOKEN: metricsToken, ADMIN_TOKEN } });
  try {
    const curl = async (...args: string[]) =>
      (await runToEnd("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        ...args,
        `${gateway.url}/metrics`,
      ])).stdout;
    assert.equal(await curl(), "401");
    assert.equal(await curl("-H", `Authorization: Bearer ${ADMIN_TOKEN}`), "403");
    assert.equal(await curl("-H", `Authorization: Bearer ${metricsToken}`), "200");
  } finally {
    await gateway.stop();
  }
});
