/**
 * Safe search through the real chain with knot as the upstream, serving google.com with a
 * plain www and the safe endpoint: a profile with safe search gets the CNAME and knot's
 * records for the endpoint, which the cache keeps and shares with everyone; a profile without
 * it gets knot's own answer for the search host.
 */
import assert from "node:assert/strict";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startKnot } from "../support/knot.ts";
import { chainResolver, poolOf } from "../support/profiles.ts";
import { safeSearchStage } from "../../blocklist/safe_search.ts";
import { GOOGLE_ZONE } from "../support/safe_search_zone.ts";

Deno.test({
  name: "knot's safe endpoint answers a safe-search profile, and its answer is cached for all",
  ...integration(["knotd", "knotc"]),
  async fn() {
    const knot = await startKnot({ origin: "google.com", zoneText: GOOGLE_ZONE });
    const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
    try {
      const { resolver, log } = chainResolver({
        forward: { pool, forwardClientSubnet: false },
        cache: { cache: new AnswerCache(), prefetchHits: 0, refreshTimeoutMs: 1000 },
        safeSearch: safeSearchStage,
      }, { "192.0.2.7": { ...plainProfile("kids"), safeSearch: true } });
      const ask = async (address: string, name: string, type: number = RType.A) => {
        const raw = makeQuery(name, type, { id: 11, edns: {} });
        return decodeMessage((await resolver.resolve(raw, { address, door: "udp" })).bytes);
      };
      const kids = await ask("192.0.2.7", "www.google.com");
      assert.deepEqual(kids.answers.map((r) => [r.name, r.type, r.data]), [
        ["www.google.com", RType.CNAME, { target: "forcesafesearch.google.com" }],
        ["forcesafesearch.google.com", RType.A, { address: "216.239.38.120" }],
      ]);
      assert.deepEqual(kids.answers.map((r) => r.ttl), [120, 120], "the smallest TTL");
      assert.equal(log.recent().at(-1)?.upstream, `udp://127.0.0.1:${knot.port}`);
      const v6 = await ask("192.0.2.7", "google.com", RType.AAAA);
      assert.deepEqual(v6.answers.map((r) => r.data), [
        { target: "forcesafesearch.google.com" },
        { address: "2001:4860:4802:32::78" },
      ]);
      const plain = await ask("192.0.2.8", "www.google.com");
      assert.deepEqual(plain.answers.map((r) => [r.type, r.data]), [
        [RType.A, { address: "192.0.2.66" }],
      ]);
      // The endpoint's answer is in the cache: asked again, or by anyone, knot is not asked.
      const before = await knot.queryCount();
      await ask("192.0.2.7", "www.google.com");
      await ask("192.0.2.7", "google.co.uk");
      const direct = await ask("192.0.2.8", "forcesafesearch.google.com");
      assert.deepEqual(direct.answers.map((r) => r.data), [{ address: "216.239.38.120" }]);
      assert.equal(await knot.queryCount(), before, "answered from the cache");
    } finally {
      pool.close();
      await knot.stop();
    }
  },
});
