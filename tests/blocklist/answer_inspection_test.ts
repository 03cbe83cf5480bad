/**
 * Answer inspection through the real chain with knot as the upstream: IP entries block answers
 * whose addresses they hold (from the upstream and from the cache, under the client's profile),
 * and rebinding protection refuses private addresses for names not exempt from it.
 */
import assert from "node:assert/strict";
import type { LoadedList } from "../../blocklist/blocklist.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import type { BlocklistStageOptions, BlocklistStats } from "../../blocklist/stage.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { decodeMessage, isSubdomainOf, type Message, RClass, Rcode, RType } from "../../dns/mod.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { extendedError } from "../support/ede.ts";
import { type KnotServer, startKnot } from "../support/knot.ts";
import { chainResolver, poolOf } from "../support/profiles.ts";
import { smallZoneText, TEST_ZONE } from "../support/test_zone.ts";

const ZONE = smallZoneText([
  "listed A 192.0.2.7",
  "listed AAAA 2001:db8::7",
  "excepted A 192.0.2.99",
  "fine A 198.51.100.1",
  "kept A 192.0.2.8",
  "home A 10.0.0.5",
  "mapped AAAA ::ffff:127.0.0.1",
  "alias CNAME home",
  "lan A 192.168.1.10",
  "box.lan A 192.168.1.11",
  "fwd A 10.1.1.1",
  "public A 198.51.100.2",
]);

const BAD_IPS: LoadedList = {
  name: "bad-ips",
  block: [],
  allow: [],
  ips: { block: ["192.0.2.0/24", "2001:db8::/32"], allow: ["192.0.2.99"] },
};

const n = (label: string) => `${label}.${TEST_ZONE}`;

/** Rebinding protection on, nothing exempt. */
const NOTHING_EXEMPT = { exempt: () => false };

async function withKnot(body: (knot: KnotServer) => Promise<void>): Promise<void> {
  const knot = await startKnot({ zoneText: ZONE });
  try {
    await body(knot);
  } finally {
    await knot.stop();
  }
}

/** A resolver over the chain (blocklist, cache, forward to knot), and how to ask it. */
function setup(
  knot: KnotServer,
  options: { rebinding?: BlocklistStageOptions["rebinding"]; blocklist?: MemoryBlocklist } = {},
) {
  const pool = poolOf([`udp://127.0.0.1:${knot.port}`]);
  const blocklist = options.blocklist ?? new MemoryBlocklist();
  const cache = new AnswerCache();
  const stats: BlocklistStats = { blocked: 0, allowed: 0, errors: 0 };
  const { resolver, log } = chainResolver({
    forward: { pool, forwardClientSubnet: false },
    blocklist: {
      blocklist,
      answer: { response: "nxdomain", ttl: 60 },
      failMode: "open",
      stats,
      rebinding: options.rebinding,
    },
    cache: { cache, prefetchHits: 0, refreshTimeoutMs: 1000 },
  }, { "192.0.2.50": { ...plainProfile("kids"), blocklists: [] } });
  const ask = async (
    name: string,
    type: number = RType.A,
    address = "192.0.2.1",
  ): Promise<Message> =>
    decodeMessage(
      (await resolver.resolve(makeQuery(name, type, { edns: {} }), { address, door: "udp" })).bytes,
    );
  const rule = () => log.recent().at(-1)?.rule;
  return { pool, blocklist, cache, stats, ask, rule, [Symbol.dispose]: () => pool.close() };
}

Deno.test({
  name: "an IP entry blocks an answer holding its address, under the lists the profile takes",
  ...integration(["knotd", "knotc"]),
  fn: () =>
    withKnot(async (knot) => {
      using t = setup(knot);
      await t.blocklist.load([BAD_IPS]);
      assert.equal((await t.ask(n("fine"))).header.rcode, Rcode.NOERROR);
      const blocked = await t.ask(n("listed"));
      assert.equal(blocked.header.rcode, Rcode.NXDOMAIN);
      assert.equal(t.rule(), "answer 192.0.2.7 (bad-ips: 192.0.2.0/24)");
      assert.equal(
        extendedError(blocked)?.text,
        "Blocked (answer 192.0.2.7 (bad-ips: 192.0.2.0/24))",
      );
      assert.equal((await t.ask(n("listed"), RType.AAAA)).header.rcode, Rcode.NXDOMAIN);
      assert.equal(t.rule(), "answer 2001:db8::7 (bad-ips: 2001:db8::/32)");
      assert.equal((await t.ask(n("excepted"))).header.rcode, Rcode.NOERROR, "an IP exception");
      const kids = await t.ask(n("listed"), RType.A, "192.0.2.50");
      assert.equal(kids.header.rcode, Rcode.NOERROR, "a profile that takes no block list");
      assert.equal(t.stats.blocked, 2);
    }),
});

Deno.test({
  name:
    "an answer cached before the IP entry loaded is blocked at its next query, its addresses read once",
  ...integration(["knotd", "knotc"]),
  fn: () =>
    withKnot(async (knot) => {
      using t = setup(knot);
      const first = await t.ask(n("kept"));
      assert.equal(first.answers.length, 1);
      const key = `${n("kept")}|${RType.A}|${RClass.IN}|00`;
      const [one, two] = [t.cache.lookup(key)!, t.cache.lookup(key)!];
      assert.equal(one.answer.addresses?.length, 16, "read when it was kept");
      assert.equal(one.answer.addresses, two.answer.addresses, "every hit carries the same bytes");
      await t.blocklist.load([BAD_IPS]);
      assert.equal((await t.ask(n("kept"))).header.rcode, Rcode.NXDOMAIN);
      assert.equal(t.rule(), "answer 192.0.2.8 (bad-ips: 192.0.2.0/24)");
    }),
});

Deno.test({
  name: "rebinding protection refuses private answers for public names, counted and named",
  ...integration(["knotd", "knotc"]),
  fn: () =>
    withKnot(async (knot) => {
      using t = setup(knot, { rebinding: NOTHING_EXEMPT });
      assert.equal((await t.ask(n("public"))).header.rcode, Rcode.NOERROR);
      const refused = await t.ask(n("home"));
      assert.equal(refused.header.rcode, Rcode.NXDOMAIN);
      assert.equal(t.rule(), "answer 10.0.0.5 (rebinding: 10.0.0.0/8)");
      assert.match(extendedError(refused)?.text ?? "", /rebinding/);
      assert.equal((await t.ask(n("home"))).header.rcode, Rcode.NXDOMAIN, "from the cache too");
      assert.equal((await t.ask(n("mapped"), RType.AAAA)).header.rcode, Rcode.NXDOMAIN);
      assert.equal(t.rule(), "answer 127.0.0.1 (rebinding: 127.0.0.0/8)", "IPv4-mapped");
      assert.equal((await t.ask(n("alias"))).header.rcode, Rcode.NXDOMAIN, "through an alias");
      assert.deepEqual([t.stats.rebinding, t.stats.blocked], [4, 4]);
    }),
});

Deno.test({
  name: "rebinding protection lets REBIND_ALLOW's domains and forward zones' names be",
  ...integration(["knotd", "knotc"]),
  fn: () =>
    withKnot(async (knot) => {
      // As main.ts makes it: REBIND_ALLOW's domain, subdomains included, and a forward zone.
      const rebinding = {
        exempt: (name: string) => isSubdomainOf(name, n("lan")) || name === n("fwd"),
      };
      using t = setup(knot, { rebinding });
      assert.equal((await t.ask(n("lan"))).answers.length, 1, "REBIND_ALLOW's domain");
      assert.equal((await t.ask(n("box.lan"))).answers.length, 1, "and its subdomains");
      assert.equal((await t.ask(n("fwd"))).answers.length, 1, "a forward zone's name");
      assert.equal((await t.ask(n("home"))).header.rcode, Rcode.NXDOMAIN, "anything else");
    }),
});

Deno.test({
  name: "a name a list allows is still refused a private answer; without protection it passes",
  ...integration(["knotd", "knotc"]),
  fn: () =>
    withKnot(async (knot) => {
      const blocklist = new MemoryBlocklist();
      await blocklist.load([{ name: "fixes", block: [], allow: [n("home")] }]);
      {
        using t = setup(knot, { rebinding: NOTHING_EXEMPT, blocklist });
        assert.equal((await t.ask(n("home"))).header.rcode, Rcode.NXDOMAIN);
        assert.equal(t.rule(), "answer 10.0.0.5 (rebinding: 10.0.0.0/8)");
      }
      using t = setup(knot);
      assert.equal((await t.ask(n("home"))).answers.length, 1, "REBIND_PROTECTION=off");
    }),
});
