/**
 * A profile's own upstreams, with two knot instances that answer the same name differently: each
 * profile gets its own upstream's answer, its answers are cached apart from the default pool's
 * (in L1 and in the shared Redis tier), profiles with the same upstreams however spelled share
 * one pool and one cached answer, and a profile without upstreams shares the default cache.
 */
import assert from "node:assert/strict";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { cacheKey } from "../../cache/key.ts";
import { SharedTier } from "../../cache/shared_tier.ts";
import { decodeMessage, headOf, RType } from "../../dns/mod.ts";
import { plainProfile, type Profile } from "../../pipeline/profile.ts";
import { ProfilePools } from "../../upstream/profile_pools.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery, queryMessage } from "../support/dns_query.ts";
import { type KnotServer, startKnot } from "../support/knot.ts";
import { chainResolver, poolOf } from "../support/profiles.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";
import { inspect } from "../support/redis_inspect.ts";

const zone = (address: string) =>
  `$ORIGIN shop.example.
$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
www A ${address}
`;

const DEFAULT_ANSWER = "192.0.2.1";
const OWN_ANSWER = "198.51.100.1";

Deno.test("cacheKey() says which upstreams answered, one spelling for the same upstreams", () => {
  const message = queryMessage("www.shop.example", RType.A);
  const ask = (profile: Profile) =>
    cacheKey({ question: message.questions[0], head: headOf(message), identity: { profile } });
  const plain = ask(plainProfile());
  assert.equal(plain, "www.shop.example|1|1|00");
  assert.equal(ask(plainProfile("kids")), plain, "no upstreams of its own: the default answers");
  const own = ask({ ...plainProfile("a"), upstreams: ["udp://127.0.0.1"] });
  assert.equal(own, "www.shop.example|1|1|00|via udp://127.0.0.1:53");
  assert.equal(ask({ ...plainProfile("b"), upstreams: [" UDP://127.0.0.1:53"] }), own);
});

Deno.test({
  name: "each profile gets its own upstreams' answer, cached apart; the same upstreams share",
  ...integration(["knotd", "knotc", "redis-server"]),
  async fn() {
    const knots: KnotServer[] = [];
    const redis = await startRedis();
    const { store, close } = REDIS_CLIENTS[0][1](redis);
    const closers: (() => void)[] = [];
    try {
      knots.push(await startKnot({ origin: "shop.example", zoneText: zone(DEFAULT_ANSWER) }));
      knots.push(await startKnot({ origin: "shop.example", zoneText: zone(OWN_ANSWER) }));
      const [first, second] = knots;
      const own: Profile = {
        ...plainProfile("own"),
        upstreams: [`udp://127.0.0.1:${second.port}`],
      };
      // The same upstream, spelled otherwise.
      const same: Profile = {
        ...plainProfile("same"),
        upstreams: [` udp://127.0.0.1:${second.port} `],
      };
      const profiles = {
        "192.0.2.10": own,
        "192.0.2.11": same,
        "192.0.2.12": plainProfile("kids"),
      };
      /** One gateway instance: its own L1 and pools, the Redis tier shared. */
      const instance = () => {
        const shared = new SharedTier(store, { prefix: "t:cache:", flushDelayMs: 1 });
        const pool = poolOf([`udp://127.0.0.1:${first.port}`]);
        const pools = new ProfilePools({
          createPool: (specs) => poolOf(specs.map((spec) => spec.url)),
          closeDelayMs: 100,
        });
        closers.push(() => pool.close(), () => pools.close());
        const { resolver } = chainResolver({
          forward: {
            pool,
            profilePool: (profile) => pools.poolFor(profile),
            forwardClientSubnet: false,
          },
          cache: { cache: new AnswerCache(), shared, prefetchHits: 0, refreshTimeoutMs: 1000 },
        }, profiles);
        const ask = async (address: string) => {
          const raw = makeQuery("www.shop.example", RType.A, { id: 5 });
          const reply = decodeMessage(
            (await resolver.resolve(raw, { address, door: "udp" })).bytes,
          );
          return reply.answers.map((record) => (record.data as { address: string }).address);
        };
        return { ask, pools, shared };
      };
      const one = instance();
      const counts = async () => [await first.queryCount(), await second.queryCount()];
      const start = await counts();
      assert.deepEqual(await one.ask("192.0.2.10"), [OWN_ANSWER], "its own upstream's answer");
      assert.deepEqual(await one.ask("192.0.2.99"), [DEFAULT_ANSWER], "not the profile's");
      assert.deepEqual(await one.ask("192.0.2.10"), [OWN_ANSWER], "nor the default's");
      assert.deepEqual(await one.ask("192.0.2.11"), [OWN_ANSWER]);
      assert.deepEqual(await one.ask("192.0.2.12"), [DEFAULT_ANSWER]);
      const after = await counts();
      assert.deepEqual([after[0] - start[0], after[1] - start[1]], [1, 1], "each asked once");
      assert.equal(one.pools.size, 1, "one pool for the same upstreams");
      // The shared tier keys them apart too: another instance, cold, reads both from Redis.
      await one.shared.flush();
      const keys = (await inspect(redis, "KEYS", "t:cache:*") as string[]).sort();
      assert.deepEqual(keys, [
        "t:cache:www.shop.example|1|1|00",
        `t:cache:www.shop.example|1|1|00|via udp://127.0.0.1:${second.port}`,
      ]);
      const two = instance();
      assert.deepEqual(await two.ask("192.0.2.11"), [OWN_ANSWER]);
      assert.deepEqual(await two.ask("192.0.2.99"), [DEFAULT_ANSWER]);
      assert.deepEqual(await counts(), after, "both from the shared tier");
    } finally {
      for (const close of closers) close();
      for (const knot of knots) await knot.stop();
      await close();
      await redis.stop();
    }
  },
});
