/**
 * Conditional forwarding: the longest forward zone picks the pool, the rest goes to the
 * default pool, pools survive reloads that keep their upstreams, and a pool that leaves is
 * closed only after its queries had time to finish.
 */
import assert from "node:assert/strict";
import { decodeMessage, encodeReply, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { type ForwardZone, type Pool, UpstreamRouter } from "../../upstream/router.ts";
import { forwardStage } from "../../upstream/stage.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { makeQuery } from "../support/dns_query.ts";

interface FakePool extends Pool {
  urls: string[];
  closed: boolean;
}

function setup(closeDelayMs = 0) {
  const made: FakePool[] = [];
  const router = new UpstreamRouter({
    closeDelayMs,
    createPool: (upstreams) => {
      const pool: FakePool = {
        urls: upstreams.map((spec) => spec.url),
        closed: false,
        resolve: (query) =>
          Promise.resolve({
            bytes: encodeReply(decodeMessage(query)),
            upstream: pool.urls[0],
            attempts: 1,
          }),
        close: () => void (pool.closed = true),
      };
      made.push(pool);
      return pool;
    },
  });
  return { router, made };
}

const zone = (name: string, ...urls: string[]): ForwardZone => ({
  zone: name,
  upstreams: urls.map(parseUpstreamUrl),
});
const urlsOf = (pool: Pool | undefined) => (pool as FakePool | undefined)?.urls;

Deno.test("the longest forward zone holding a name picks its pool; other names get none", () => {
  const { router } = setup();
  router.update([
    zone("corp.example", "udp://10.0.0.1"),
    zone("lab.corp.example", "udp://10.0.0.2", "tcp://10.0.0.3"),
  ]);
  assert.deepEqual(urlsOf(router.route("corp.example")), ["udp://10.0.0.1:53"]);
  assert.deepEqual(urlsOf(router.route("www.corp.example")), ["udp://10.0.0.1:53"]);
  assert.deepEqual(urlsOf(router.route("a.b.lab.corp.example")), [
    "udp://10.0.0.2:53",
    "tcp://10.0.0.3:53",
  ]);
  assert.equal(router.route("example"), undefined);
  assert.equal(router.route("xcorp.example"), undefined);
  assert.equal(router.route("www.example.org"), undefined);
  router.close();
});

Deno.test("zones with the same upstreams share one pool", () => {
  const { router, made } = setup();
  router.update([zone("a.example", "udp://10.0.0.1"), zone("b.example", "udp://10.0.0.1")]);
  assert.equal(made.length, 1);
  assert.equal(router.route("a.example"), router.route("b.example"));
  router.close();
});

Deno.test("an update keeps the pools whose upstreams stay, and closes the others later", async () => {
  const { router, made } = setup(20);
  router.update([zone("a.example", "udp://10.0.0.1"), zone("b.example", "udp://10.0.0.2")]);
  const kept = router.route("a.example");
  router.update([zone("a.example", "udp://10.0.0.1"), zone("c.example", "udp://10.0.0.3")]);
  assert.equal(router.route("a.example"), kept, "the same pool object, connections and all");
  assert.equal(router.route("b.example"), undefined);
  assert.deepEqual(urlsOf(router.route("c.example")), ["udp://10.0.0.3:53"]);
  assert.equal(made.length, 3);
  assert.equal(made[1].closed, false, "queries in flight may still use it");
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(made[1].closed, true);
  assert.equal(made[0].closed, false);
  router.close();
  assert.deepEqual(made.map((pool) => pool.closed), [true, true, true]);
});

Deno.test("close() closes pools still waiting to be retired", () => {
  const { router, made } = setup(60_000);
  router.update([zone("a.example", "udp://10.0.0.1")]);
  router.update([]);
  router.close();
  assert.equal(made[0].closed, true);
});

Deno.test("the forward stage asks the routed pool, and the default pool for other names", async () => {
  const { router } = setup();
  router.update([zone("corp.example", "udp://10.0.0.1")]);
  const fallback = {
    resolve: (query: Uint8Array) =>
      Promise.resolve({
        bytes: encodeReply(decodeMessage(query)),
        upstream: "udp://9.9.9.9:53",
        attempts: 1,
      }),
  };
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const forward = forwardStage({
    pool: fallback,
    route: (name) => router.route(name),
    forwardClientSubnet: false,
  });
  const resolver = new Resolver({ stages: [guardStage, forward], queryTimeoutMs: 500, log });
  const client = { address: "", door: "doh" as const };
  await resolver.resolve(makeQuery("www.corp.example", RType.A), client);
  await resolver.resolve(makeQuery("www.example.org", RType.A), client);
  assert.deepEqual(log.recent().map((entry) => [entry.name, entry.upstream]), [
    ["www.corp.example", "udp://10.0.0.1:53"],
    ["www.example.org", "udp://9.9.9.9:53"],
  ]);
  router.close();
});
