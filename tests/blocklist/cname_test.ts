/**
 * CNAME cloaking under profiles, through the real chain with knot as the upstream: a target is
 * decided as a name is under the client's profile (its own allow entries, the lists it takes),
 * and a store that fails while checking a target is answered per REDIS_FAIL.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import type { Blocklist } from "../../blocklist/blocklist.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startKnot } from "../support/knot.ts";
import { chainResolver, poolOf } from "../support/profiles.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ALIAS = `alias.${TEST_ZONE}`;
const TARGET = `www.${TEST_ZONE}`;

Deno.test({
  name: "a CNAME target is decided under the client's profile: its allow entries and its lists",
  ...integration(["knotd", "knotc"]),
  async fn() {
    const knot = await startKnot();
    const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
    try {
      const blocklist = new MemoryBlocklist();
      await blocklist.load([{ name: "trackers", block: [TARGET], allow: [] }]);
      const { resolver, log } = chainResolver({
        forward: { pool, forwardClientSubnet: false },
        blocklist: { blocklist, answer: { response: "nxdomain", ttl: 60 }, failMode: "open" },
        cache: { cache: new AnswerCache(), prefetchHits: 0, refreshTimeoutMs: 1000 },
      }, {
        "192.0.2.1": { ...plainProfile("kids") },
        "192.0.2.2": { ...plainProfile("fixed"), allow: [TARGET] },
        "192.0.2.3": { ...plainProfile("other-lists"), blocklists: [] },
      });
      const rcode = async (address: string) =>
        decodeMessage(
          (await resolver.resolve(makeQuery(ALIAS, RType.A), { address, door: "udp" })).bytes,
        ).header.rcode;
      assert.equal(await rcode("192.0.2.1"), Rcode.NXDOMAIN);
      assert.equal(log.recent().at(-1)?.rule, `kids: cname ${TARGET} (trackers: ${TARGET})`);
      assert.equal(await rcode("192.0.2.2"), Rcode.NOERROR, "its own allow entry");
      assert.equal(await rcode("192.0.2.3"), Rcode.NOERROR, "a profile without that list");
      assert.equal(await rcode("192.0.2.9"), Rcode.NXDOMAIN, "default: every list");
    } finally {
      pool.close();
      await knot.stop();
    }
  },
});

Deno.test({
  name: "a store that fails while a CNAME target is checked is answered per REDIS_FAIL",
  ...integration(["knotd", "knotc"]),
  async fn() {
    const knot = await startKnot();
    const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
    try {
      // Decides the question's name, then fails: as Redis going away between the two.
      const memory = new MemoryBlocklist();
      let calls = 0;
      const flaky = {
        ...memory,
        decide: (name: string) =>
          calls++ === 0 ? memory.decide(name) : Promise.reject(new Error("redis GET timed out")),
      } as unknown as Blocklist;
      const modes = [["open", Rcode.NOERROR], ["closed", Rcode.SERVFAIL]] as const;
      for (const [failMode, expected] of modes) {
        calls = 0;
        const { resolver, log } = chainResolver({
          forward: { pool, forwardClientSubnet: false },
          blocklist: {
            blocklist: flaky,
            answer: { response: "nxdomain", ttl: 60 },
            failMode,
          },
        }, {});
        const reply = await resolver.resolve(makeQuery(ALIAS, RType.A), {
          address: "192.0.2.1",
          door: "udp",
        });
        assert.equal(decodeMessage(reply.bytes).header.rcode, expected, failMode);
        assert.match(
          log.recent().at(-1)?.error ?? "",
          /blocklist unavailable: redis GET timed out/,
        );
      }
    } finally {
      pool.close();
      await knot.stop();
    }
  },
});
