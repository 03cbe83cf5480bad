/**
 * The rule language in both stores (memory, and Redis against a real redis-server): lists are
 * parsed from text written from AdGuard's DNS filtering syntax documentation (its examples of
 * `/regex/`, `$important`, `$badfilter`, `$denyallow`, `$dnstype`, `$client` and `$dnsrewrite`,
 * with names changed to reserved ones), loaded, and asked. The rule named is the rule's text.
 */
import assert from "node:assert/strict";
import type { Blocklist, LoadedList } from "../../blocklist/blocklist.ts";
import { NO_DECISION } from "../../blocklist/decision.ts";
import type { RuleQuery } from "../../blocklist/list_rule.ts";
import { loadRuleParser, parseList } from "../../blocklist/parse.ts";
import { listFilter } from "../../blocklist/profile_policy.ts";
import { RedisBlocklist } from "../../blocklist/redis_blocklist.ts";
import { RType } from "../../dns/mod.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import { integration } from "../support/binaries.ts";
import { blocklistStores, storeTest } from "../support/blocklist_stores.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";
import { inspect } from "../support/redis_inspect.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

const STORES = blocklistStores(60_000, REDIS_CLIENTS.slice(0, 1));
const [[, connect]] = REDIS_CLIENTS;

/** A list as sync loads it: parsed from its text. */
function list(name: string, lines: string[]): LoadedList {
  const parsed = parseList(lines.join("\n"));
  assert.equal(parsed.invalid.count, 0, JSON.stringify(parsed.invalid.examples));
  return { name, block: parsed.block, allow: parsed.allow, rules: parsed.rules };
}

function query(
  type: number,
  client: Partial<{ address: string; clientId: string; name: string }> = {},
): RuleQuery {
  return {
    question: { type },
    client: { address: client.address ?? "192.0.2.1", clientId: client.clientId },
    identity: { name: client.name },
  };
}

const A = query(RType.A);
const AAAA = query(RType.AAAA);

for (const store of STORES) {
  const test = storeTest(store);
  const verdict = async (blocklist: Blocklist, name: string, q: RuleQuery = A) =>
    (await blocklist.decide(name, undefined, q)).verdict;

  test("/regex/ rules block the names they match, and the rule is named as written", async (blocklist) => {
    await blocklist.load([list("ads", ["/^ad[0-9]+\\./", "/banner[s]?\\./"])]);
    assert.deepEqual(await blocklist.decide("ad12.example.org", undefined, A), {
      verdict: "blocked",
      rule: { list: "ads", entry: "/^ad[0-9]+\\./" },
    });
    assert.equal(await verdict(blocklist, "banners.example.net"), "blocked");
    assert.equal(await verdict(blocklist, "bad12.example.org"), "none");
    assert.equal(await verdict(blocklist, "ad.example.org"), "none");
  });

  test("a hostile regex costs a query what any regex does: RE2 never backtracks", async (blocklist) => {
    // Catastrophic for a backtracking engine: 2^60 ways to split the a's before failing.
    await blocklist.load([list("hostile", ["/^(a+)+$/", "/(x+x+)+y/"])]);
    assert.equal(await verdict(blocklist, `${"a".repeat(60)}!.example`), "none");
    assert.equal(await verdict(blocklist, `${"x".repeat(60)}.example`), "none");
    assert.equal(await verdict(blocklist, "aaaa"), "blocked");
  });

  test("$important blocks beat exceptions; an $important exception beats them", async (blocklist) => {
    await blocklist.load([
      list("ads", ["||example.org^$important", "||other.example^$important", "||plain.example^"]),
      list("fixes", ["@@||example.org^", "@@||other.example^$important", "@@||plain.example^"]),
    ]);
    assert.deepEqual(await blocklist.decide("www.example.org", undefined, A), {
      verdict: "blocked",
      rule: { list: "ads", entry: "||example.org^$important" },
    });
    assert.deepEqual(await blocklist.decide("other.example", undefined, A), {
      verdict: "allowed",
      rule: { list: "fixes", entry: "@@||other.example^$important" },
    });
    assert.equal(await verdict(blocklist, "plain.example"), "allowed");
  });

  test("$badfilter disables the rule with its text in every list, modifiers in any order", async (blocklist) => {
    await blocklist.load([
      list("ads", ["||example.com^", "||example.org^$dnstype=AAAA,important", "/^ad\\./"]),
      list("fixes", [
        "||example.com^$badfilter",
        "||example.org^$important,dnstype=AAAA,badfilter",
        "/^ad\\./$badfilter",
      ]),
    ]);
    assert.equal(await verdict(blocklist, "example.com"), "none");
    assert.equal(await verdict(blocklist, "example.org", AAAA), "none");
    assert.equal(await verdict(blocklist, "ad.example.net"), "none");
  });

  test("$denyallow blocks a name but not the domains it names, nor their subdomains", async (blocklist) => {
    await blocklist.load([list("ads", [
      "||example.org^$denyallow=sub.example.org|other.example.org",
      "/.*/$denyallow=com|net|org",
    ])]);
    assert.equal(await verdict(blocklist, "example.test"), "blocked", "the regex");
    assert.equal(await verdict(blocklist, "www.example.org"), "blocked");
    assert.equal(await verdict(blocklist, "a.sub.example.org"), "none");
    assert.equal(await verdict(blocklist, "other.example.org"), "none");
    assert.equal(await verdict(blocklist, "example.com"), "none");
  });

  test("$dnstype applies a rule to the types it names only, or to all but the ~ ones", async (blocklist) => {
    await blocklist.load([list("ads", [
      "||example.org^$dnstype=AAAA",
      "||example.net^$dnstype=~A|~CNAME",
      "||both.example^",
      "@@||both.example^$dnstype=A",
    ])]);
    assert.equal(await verdict(blocklist, "example.org", AAAA), "blocked");
    assert.equal(await verdict(blocklist, "example.org", A), "none");
    assert.equal(await verdict(blocklist, "example.net", A), "none");
    assert.equal(await verdict(blocklist, "example.net", query(RType.CNAME)), "none");
    assert.equal(await verdict(blocklist, "example.net", query(RType.MX)), "blocked");
    assert.equal(await verdict(blocklist, "both.example", A), "allowed");
    assert.equal(await verdict(blocklist, "both.example", AAAA), "blocked");
    assert.equal(
      await verdict(blocklist, "example.org"),
      "none",
      "without a query, a rule that asks for a type does not apply",
    );
  });

  test("$client names clients by address, range, ClientID or quoted name; ~ excludes", async (blocklist) => {
    await blocklist.load([list("ads", [
      "||by-address.example^$client=127.0.0.1",
      "||by-range.example^$client=192.168.0.0/24",
      "||by-id.example^$client=kids-tablet",
      "||by-name.example^$client='Frank\\'s laptop'",
      "||not-mary.example^$client=~'Mary\\'s\\, John\\'s\\, and Boris\\'s laptops'",
    ])]);
    assert.equal(blocklist.needsClient, true);
    const local = query(RType.A, { address: "127.0.0.1" });
    assert.equal(await verdict(blocklist, "by-address.example", local), "blocked");
    assert.equal(await verdict(blocklist, "by-address.example"), "none");
    assert.equal(
      await verdict(blocklist, "by-range.example", query(RType.A, { address: "192.168.0.7" })),
      "blocked",
    );
    assert.equal(
      await verdict(blocklist, "by-range.example", query(RType.A, { address: "192.168.1.7" })),
      "none",
    );
    assert.equal(
      await verdict(blocklist, "by-id.example", query(RType.A, { clientId: "kids-tablet" })),
      "blocked",
    );
    assert.equal(await verdict(blocklist, "by-id.example"), "none");
    assert.equal(
      await verdict(blocklist, "by-name.example", query(RType.A, { name: "Frank's laptop" })),
      "blocked",
    );
    const mary = query(RType.A, { name: "Mary's, John's, and Boris's laptops" });
    assert.equal(await verdict(blocklist, "not-mary.example", mary), "none");
    assert.equal(await verdict(blocklist, "not-mary.example"), "blocked");
  });

  test("$dnsrewrite rules decide with the rewrite, and beat a plain block of the same name", async (blocklist) => {
    await blocklist.load([list("rewrites", [
      "||plain.example^",
      "||plain.example^$dnsrewrite=192.0.2.55",
      "||v6.example^$dnsrewrite=NOERROR;AAAA;2001:db8::55",
      "||alias.example^$dnsrewrite=target.example",
      "||gone.example^$dnsrewrite=NXDOMAIN",
      "||no.example^$dnsrewrite=REFUSED;;",
    ])]);
    assert.deepEqual(await blocklist.decide("plain.example", undefined, A), {
      verdict: "blocked",
      rule: {
        list: "rewrites",
        entry: "||plain.example^$dnsrewrite=192.0.2.55",
        rewrite: { kind: "address", address: "192.0.2.55", type: "A" },
      },
    });
    const rewrite = async (name: string) => {
      const decision = await blocklist.decide(name, undefined, A);
      return decision.verdict === "blocked" ? decision.rule.rewrite : undefined;
    };
    assert.deepEqual(await rewrite("v6.example"), {
      kind: "address",
      address: "2001:db8::55",
      type: "AAAA",
    });
    assert.deepEqual(await rewrite("alias.example"), { kind: "cname", target: "target.example" });
    assert.deepEqual(await rewrite("gone.example"), { kind: "rcode", rcode: "NXDOMAIN" });
    assert.deepEqual(await rewrite("no.example"), { kind: "rcode", rcode: "REFUSED" });
  });

  test("under a profile, a rule counts only when the profile takes its list", async (blocklist) => {
    await blocklist.load([
      list("ads", ["/^ad[0-9]+\\./"]),
      list("social", ["||social.example^$dnstype=A", "@@/^ad1\\./"]),
    ]);
    const adsOnly = listFilter({ ...plainProfile("kids"), blocklists: ["ads"], allowlists: [] });
    assert.equal((await blocklist.decide("social.example", adsOnly, A)).verdict, "none");
    assert.equal((await blocklist.decide("social.example", undefined, A)).verdict, "blocked");
    assert.equal((await blocklist.decide("ad1.example", adsOnly, A)).verdict, "blocked");
    assert.equal((await blocklist.decide("ad1.example", undefined, A)).verdict, "allowed");
  });

  test("under a profile, a list of rules counts as a block list: its @@ entries count with it", async (blocklist) => {
    await blocklist.load([list("ads", ["/^ad[0-9]+\\./", "@@||ad1.example^"])]);
    const adsOnly = listFilter({ ...plainProfile("kids"), blocklists: ["ads"], allowlists: [] });
    assert.equal((await blocklist.decide("ad1.example", adsOnly, A)).verdict, "allowed");
    assert.equal((await blocklist.decide("ad2.example", adsOnly, A)).verdict, "blocked");
  });

  test("with no rule loaded, nothing needs the client and decisions are as before", async (blocklist) => {
    await blocklist.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
    assert.equal(blocklist.needsClient ?? false, false);
    assert.equal(await blocklist.decide("other.example", undefined, A), NO_DECISION);
    assert.deepEqual(
      (await blocklist.summary()).find((held) => held.name === "ads")?.ruleEntries,
      undefined,
    );
    await blocklist.load([{ ...list("ads", ["/^ad\\./"]), skippedModifiers: { script: 3 } }]);
    const held = (await blocklist.summary()).find((held) => held.name === "ads");
    assert.equal(held?.ruleEntries, 1);
    assert.deepEqual(held?.skippedModifiers, { script: 3 }, "kept for the reports");
  });
}

Deno.test({
  name:
    "Redis: another instance reads a list's rules when the version moves, and drops them with it",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const one = connect(redis);
    const two = connect(redis);
    const options = { prefix: "t:", decisionLifetimeMs: 60_000, pollMs: 0 };
    const writer = new RedisBlocklist(one.store, options);
    const reader = new RedisBlocklist(two.store, options);
    try {
      await reader.refresh();
      assert.equal((await reader.decide("ad1.example", undefined, A)).verdict, "none");
      await writer.load([list("ads", ["/^ad[0-9]+\\./", "||x.example^$client=192.0.2.1"])]);
      await reader.refresh();
      assert.deepEqual(await reader.decide("ad1.example", undefined, A), {
        verdict: "blocked",
        rule: { list: "ads", entry: "/^ad[0-9]+\\./" },
      });
      assert.equal(reader.needsClient, true);
      // An admin edit moves the version; the rules, unchanged, are not read again (were they,
      // the key deleted behind the stores' backs would leave none).
      await inspect(redis, "DEL", "t:bl:rules:ads");
      await writer.edit("add", "block", ["edited.example"]);
      await reader.refresh();
      assert.equal((await reader.decide("ad1.example", undefined, A)).verdict, "blocked");
      await writer.load([], ["ads"]);
      await reader.refresh();
      assert.equal((await reader.decide("ad1.example", undefined, A)).verdict, "none");
      assert.equal(reader.needsClient, false);
    } finally {
      writer.close();
      reader.close();
      await one.close();
      await two.close();
      await redis.stop();
    }
  },
});
