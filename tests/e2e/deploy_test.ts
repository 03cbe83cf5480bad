/**
 * Deno Deploy readiness: the gateway started the way Deploy runs it (no unstable flags, so no
 * UDP; a read-only file system; settings from the environment only), forwarding over DoH
 * (dnsdist in front of knot), with Upstash Redis over REST (the bridge over a real
 * redis-server) holding the blocklist and the shared cache, passes the core DoH suite:
 * GET and POST answered with the client's ID, blocking with EDE 15, caching, the admin API,
 * metrics and health.
 */
import assert from "node:assert/strict";
import { type Message, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { startEncryptedUpstream } from "../support/dnsdist.ts";
import { askDoh } from "../support/doh.ts";
import { extendedError } from "../support/ede.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, healthStatus, startGateway } from "../support/gateway.ts";
import { startListServer } from "../support/list_server.ts";
import { sample } from "../support/prometheus.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { startUpstashBridge } from "../support/upstash_bridge.ts";

const ADMIN_TOKEN = "deploy-e2e-admin-token";

const post = async (gateway: Gateway, name: string, type: number, id: number): Promise<Message> =>
  (await askDoh(gateway.url, name, type, { id, edns: {} })).reply;

const get = async (gateway: Gateway, name: string, type: number, id: number): Promise<Message> =>
  (await askDoh(gateway.url, name, type, { id, method: "GET" })).reply;

Deno.test({
  name:
    "run as on Deno Deploy (no UDP, read-only, DoH upstream, Upstash REST), the core DoH suite passes",
  ...integration(["knotd", "dnsdist", "openssl", "redis-server"]),
  async fn() {
    const upstream = await startEncryptedUpstream();
    const redis = await startRedis();
    const bridge = startUpstashBridge(redis.url);
    const lists = startListServer();
    lists.set("ads", `0.0.0.0 ads.${TEST_ZONE}\n`);
    const gateway = await startGateway({
      deployLike: true,
      env: {
        UPSTREAMS: upstream.dohUrl,
        UPSTREAM_CA_FILE: upstream.cert.certFile,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        BLOCKLIST_URLS: `${lists.url}/ads`,
        BLOCKLIST_DIR: ".cache/blocklists", // the default: unwritable here, and that is fine
        ADMIN_TOKEN,
        DENO_DEPLOYMENT_ID: "e2e-deploy-like",
      },
    });
    try {
      assert.match(gateway.stderr(), /upstreams: https:\/\/127\.0\.0\.1:\d+\/dns-query\n/);
      assert.match(gateway.stderr(), /\(Upstash REST\)/);
      await eventually(() =>
        Promise.resolve(assert.match(gateway.stderr(), /blocklist ads: download/))
      );

      for (const [label, ask] of [["POST", post], ["GET", get]] as const) {
        const www = await ask(gateway, `www.${TEST_ZONE}`, RType.A, 0x5a5a);
        assert.equal(www.header.id, 0x5a5a, label);
        assert.equal(www.answers.length, 2, label);
        const txt = await ask(gateway, `big.${TEST_ZONE}`, RType.TXT, 7);
        assert.equal(txt.answers.length, 8, `${label}: a TXT set over 1232 bytes, whole`);
        const missing = await ask(gateway, `missing.${TEST_ZONE}`, RType.A, 8);
        assert.equal(missing.header.rcode, Rcode.NXDOMAIN, label);
      }
      const before = await upstream.knot.queryCount();
      const blocked = await post(gateway, `x.ads.${TEST_ZONE}`, RType.A, 9);
      assert.equal(blocked.header.rcode, Rcode.NXDOMAIN);
      assert.equal(extendedError(blocked)?.text, `Blocked (ads: ads.${TEST_ZONE})`);
      await post(gateway, `www.${TEST_ZONE}`, RType.A, 10);
      assert.equal(await upstream.knot.queryCount(), before, "blocked and cached: knot not asked");

      const edit = await fetch(`${gateway.url}/admin/blocklist/custom/block`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ names: [`mail.${TEST_ZONE}`] }),
      });
      assert.equal(edit.status, 200);
      await edit.body?.cancel();
      assert.equal(
        (await post(gateway, `mail.${TEST_ZONE}`, RType.A, 11)).header.rcode,
        Rcode.NXDOMAIN,
      );

      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      assert.equal(sample(metrics, "dns_blocklist_decisions_total", { verdict: "blocked" }), 2);
      assert.equal(await healthStatus(gateway), 200);
    } finally {
      assert.equal(await gateway.stop(), 0);
      await lists.close();
      await bridge.close();
      await redis.stop();
      await upstream.stop();
    }
  },
});
