/**
 * One behaviour suite for every blocklist store: memory, and Redis through each client
 * against a real redis-server. Decisions and the rules behind them, allow beating block,
 * atomic reloads, dropped lists, admin edits in the custom list, and the summary.
 * Redis-only behaviour (round trips, the decision cache, other instances, Redis down) is at
 * the end.
 */
import assert from "node:assert/strict";
import { listFilter } from "../../blocklist/profile_policy.ts";
import { parseAddress } from "../../net/cidr.ts";
import { RedisBlocklist } from "../../blocklist/redis_blocklist.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import { StoreError } from "../../store/errors.ts";
import { integration } from "../support/binaries.ts";
import { blocklistStores, storeTest } from "../support/blocklist_stores.ts";
import { eventually } from "../support/eventually.ts";
import { type RedisServer, startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";
import { callsOf, inspect } from "../support/redis_inspect.ts";

const STORES = blocklistStores(0);

const ADS = { name: "ads", block: ["ads.example", "*.wild.example", "shared.example"], allow: [] };
const MORE = {
  name: "more",
  block: ["tracker.test", "ok.ads.example"],
  allow: ["fine.shared.example"],
};

for (const store of STORES) {
  const test = storeTest(store);

  test("decides by the first list's most specific entry and names its list", async (blocklist) => {
    await blocklist.load([ADS, MORE]);
    assert.deepEqual(await blocklist.decide("ads.example"), {
      verdict: "blocked",
      rule: { list: "ads", entry: "ads.example" },
    });
    assert.deepEqual(await blocklist.decide("a.b.ads.example"), {
      verdict: "blocked",
      rule: { list: "ads", entry: "ads.example" },
    });
    // Lists are asked in order; within a list the most specific entry is reported.
    assert.deepEqual(await blocklist.decide("x.ok.ads.example"), {
      verdict: "blocked",
      rule: { list: "ads", entry: "ads.example" },
    });
    assert.deepEqual(await blocklist.decide("x.tracker.test"), {
      verdict: "blocked",
      rule: { list: "more", entry: "tracker.test" },
    });
    assert.deepEqual(await blocklist.decide("deep.x.wild.example"), {
      verdict: "blocked",
      rule: { list: "ads", entry: "*.wild.example" },
    });
    assert.deepEqual(await blocklist.decide("wild.example"), { verdict: "none" });
    assert.deepEqual(await blocklist.decide("notads.example"), { verdict: "none" });
    assert.deepEqual(await blocklist.decide("example"), { verdict: "none" });
    assert.deepEqual(await blocklist.decide(""), { verdict: "none" });
  });

  test("an allow entry of any list wins over block entries of every list", async (blocklist) => {
    await blocklist.load([ADS, MORE]);
    assert.deepEqual(await blocklist.decide("www.fine.shared.example"), {
      verdict: "allowed",
      rule: { list: "more", entry: "fine.shared.example" },
    });
    assert.equal((await blocklist.decide("other.shared.example")).verdict, "blocked");
  });

  test("loading a list again replaces it whole; other lists stay", async (blocklist) => {
    await blocklist.load([ADS, MORE]);
    await blocklist.load([{ name: "ads", block: ["new.example"], allow: [], contentId: "v2" }]);
    assert.equal((await blocklist.decide("ads.example")).verdict, "none");
    assert.equal((await blocklist.decide("x.new.example")).verdict, "blocked");
    assert.equal((await blocklist.decide("tracker.test")).verdict, "blocked");
    const summary = await blocklist.summary();
    const ads = summary.find((list) => list.name === "ads");
    assert.equal(ads?.blockEntries, 1);
    assert.equal(ads?.contentId, "v2");
    assert.ok(ads?.loadedAt !== undefined && Math.abs(ads.loadedAt - Date.now()) < 60_000);
  });

  test("an emptied list blocks nothing, and a dropped list is gone", async (blocklist) => {
    await blocklist.load([ADS, MORE]);
    await blocklist.load([{ name: "ads", block: [], allow: [] }], ["more"]);
    assert.equal((await blocklist.decide("ads.example")).verdict, "none");
    assert.equal((await blocklist.decide("tracker.test")).verdict, "none");
    const names = (await blocklist.summary()).map((list) => list.name).sort();
    assert.deepEqual(names.filter((name) => name !== "custom"), ["ads"]);
  });

  test("every load and edit moves the version; decisions and no-op edits do not", async (blocklist) => {
    let version = blocklist.version;
    const moved = () => {
      const now = blocklist.version;
      const did = now !== version;
      version = now;
      return did;
    };
    await blocklist.load([ADS]);
    assert.ok(moved(), "a load");
    await blocklist.decide("ads.example");
    assert.ok(!moved(), "a decision");
    await blocklist.edit("add", "block", ["extra.example"]);
    assert.ok(moved(), "an edit");
    await blocklist.edit("add", "block", ["extra.example"]);
    assert.ok(!moved(), "an edit that changed nothing");
    await blocklist.load([], ["ads"]);
    assert.ok(moved(), "a drop");
  });

  test("admin edits go to the custom list, which wins and survives reloads", async (blocklist) => {
    await blocklist.load([ADS]);
    assert.equal(await blocklist.edit("add", "block", ["extra.example", "ads.example"]), 2);
    assert.equal(await blocklist.edit("add", "block", ["extra.example"]), 0, "already there");
    assert.deepEqual(await blocklist.decide("ads.example"), {
      verdict: "blocked",
      rule: { list: "custom", entry: "ads.example" },
    });
    assert.equal(await blocklist.edit("add", "allow", ["ok.extra.example"]), 1);
    assert.equal((await blocklist.decide("ok.extra.example")).verdict, "allowed");
    assert.equal((await blocklist.decide("no.extra.example")).verdict, "blocked");
    await blocklist.load([ADS], ["custom"]);
    assert.deepEqual(await blocklist.customEntries(), {
      block: ["ads.example", "extra.example"],
      allow: ["ok.extra.example"],
    });
    assert.equal(await blocklist.edit("remove", "block", ["extra.example", "never.example"]), 1);
    assert.equal((await blocklist.decide("no.extra.example")).verdict, "none");
    const custom = (await blocklist.summary()).find((list) => list.name === "custom");
    assert.deepEqual([custom?.blockEntries, custom?.allowEntries], [1, 1]);
  });
  test("a profile's filter decides by the lists it names; custom counts for every profile", async (blocklist) => {
    await blocklist.load([ADS, MORE]);
    await blocklist.edit("add", "block", ["edited.example"]);
    const onlyMore = listFilter({ ...plainProfile("kids"), blocklists: ["more"] })!;
    assert.equal((await blocklist.decide("ads.example", onlyMore)).verdict, "none");
    assert.deepEqual(await blocklist.decide("x.tracker.test", onlyMore), {
      verdict: "blocked",
      rule: { list: "more", entry: "tracker.test" },
    });
    assert.deepEqual(await blocklist.decide("edited.example", onlyMore), {
      verdict: "blocked",
      rule: { list: "custom", entry: "edited.example" },
    });
    // An allowlist not taken no longer saves a name; a block list's own exceptions go with it.
    await blocklist.load([{ name: "fixes", block: [], allow: ["fixed.ads.example"] }]);
    const noAllow = listFilter({ ...plainProfile("strict"), allowlists: [] })!;
    assert.equal((await blocklist.decide("fixed.ads.example", noAllow)).verdict, "blocked");
    assert.equal((await blocklist.decide("fixed.ads.example")).verdict, "allowed");
    assert.equal((await blocklist.decide("fine.shared.example", noAllow)).verdict, "allowed");
    const withoutMore = listFilter({ ...plainProfile("x"), blocklists: ["ads"], allowlists: [] })!;
    assert.deepEqual(await blocklist.decide("fine.shared.example", withoutMore), {
      verdict: "blocked",
      rule: { list: "ads", entry: "shared.example" },
    });
    // Every list, as without a filter.
    assert.equal((await blocklist.decide("ads.example")).verdict, "blocked");
    const none = listFilter({ ...plainProfile("open"), blocklists: [] })!;
    assert.equal((await blocklist.decide("ads.example", none)).verdict, "none");
    assert.equal((await blocklist.decide("edited.example", none)).verdict, "blocked");
  });

  test("IP entries decide an answer's addresses, by the lists a profile takes", async (blocklist) => {
    await blocklist.load([BAD_IPS, { ...MORE, ips: { block: [], allow: ["2001:db8::5"] } }]);
    const rules = blocklist.addressRules!;
    assert.deepEqual(rules.decide(addressBytes("198.51.100.1", "192.0.2.7")), {
      verdict: "blocked",
      rule: { list: "bad-ips", entry: "192.0.2.0/24", answer: "192.0.2.7" },
    });
    assert.deepEqual(
      rules.decide(addressBytes("2001:db8::9")).verdict,
      "blocked",
      "IPv6",
    );
    assert.equal(
      rules.decide(addressBytes("192.0.2.99")).verdict,
      "none",
      "an exception of the list",
    );
    assert.equal(
      rules.decide(addressBytes("2001:db8::5")).verdict,
      "none",
      "an exception of another list taken",
    );
    const notTaken = listFilter({ ...plainProfile("kids"), blocklists: ["more"] })!;
    assert.equal(rules.decide(addressBytes("192.0.2.7"), notTaken).verdict, "none");
    const summary = await blocklist.summary();
    assert.equal(summary.find((list) => list.name === "bad-ips")?.ipEntries, 4);
    assert.equal(summary.find((list) => list.name === "ads")?.ipEntries, undefined);
    await blocklist.load([], ["bad-ips", "more"]);
    assert.equal(blocklist.addressRules, undefined, "dropped with their lists");
  });
}

/** A list of IP entries only: a range with an exception inside it, and an IPv6 range. */
const BAD_IPS = {
  name: "bad-ips",
  block: [],
  allow: [],
  ips: { block: ["192.0.2.0/24", "2001:db8::/32"], allow: ["192.0.2.99", "2001:db8::5"] },
};

/** Addresses as the answer inspection holds them: 16 bytes each (dns/view.ts `answerAddresses`). */
function addressBytes(...addresses: string[]): Uint8Array {
  const bytes = new Uint8Array(addresses.length * 16);
  addresses.forEach((address, i) => bytes.set(parseAddress(address)!, i * 16));
  return bytes;
}

/** A Redis blocklist test with its own server; `second` makes another instance on it. */
function redisTest(
  name: string,
  fn: (context: {
    redis: RedisServer;
    make: (options?: { decisionLifetimeMs?: number; timeoutMs?: number }) => RedisBlocklist;
  }) => Promise<void>,
) {
  for (const [label, connect] of REDIS_CLIENTS) {
    Deno.test({
      name: `Redis, ${label}: ${name}`,
      ...integration(["redis-server"]),
      async fn() {
        const redis = await startRedis();
        const closers: (() => Promise<void>)[] = [];
        try {
          await fn({
            redis,
            make: (options = {}) => {
              const { store, close } = connect(redis, { timeoutMs: options.timeoutMs });
              const blocklist = new RedisBlocklist(store, {
                prefix: "t:",
                decisionLifetimeMs: options.decisionLifetimeMs ?? 60_000,
                pollMs: 0,
              });
              closers.push(async () => {
                blocklist.close();
                await close();
              });
              return blocklist;
            },
          });
        } finally {
          redis.resume();
          for (const close of closers) await close();
          await redis.stop();
        }
      },
    });
  }
}

redisTest(
  "an uncached decision is one pipelined SMISMEMBER; a repeated one costs none",
  async ({ redis, make }) => {
    const blocklist = make();
    await blocklist.load([ADS, MORE]);
    await inspect(redis, "CONFIG", "RESETSTAT");
    assert.equal((await blocklist.decide("a.b.c.ads.example")).verdict, "blocked");
    // custom, ads and more: an allow and a block set each, asked in one pipeline.
    assert.equal(await callsOf(redis, "smismember"), 6);
    assert.equal((await blocklist.decide("a.b.c.ads.example")).verdict, "blocked");
    assert.equal((await blocklist.decide("a.b.c.ads.example")).verdict, "blocked");
    assert.equal(await callsOf(redis, "smismember"), 6, "answered from the decision cache");
  },
);

redisTest(
  "the decision cache keys on the profile's lists: one profile's decision is not another's",
  async ({ redis, make }) => {
    const blocklist = make();
    await blocklist.load([ADS, MORE]);
    const onlyMore = listFilter({ ...plainProfile("kids"), blocklists: ["more"] })!;
    assert.equal((await blocklist.decide("ads.example")).verdict, "blocked");
    assert.equal((await blocklist.decide("ads.example", onlyMore)).verdict, "none");
    assert.equal((await blocklist.decide("ads.example")).verdict, "blocked");
    await inspect(redis, "CONFIG", "RESETSTAT");
    assert.equal((await blocklist.decide("ads.example", onlyMore)).verdict, "none");
    const same = listFilter({ ...plainProfile("teens"), blocklists: ["more"] })!;
    assert.equal((await blocklist.decide("ads.example", same)).verdict, "none");
    assert.equal(await callsOf(redis, "smismember"), 0, "the same lists share decisions");
  },
);

redisTest(
  "an edit through one instance reaches another at its next version poll",
  async ({ make }) => {
    const first = make();
    const second = make();
    await first.load([ADS]);
    await second.refresh();
    assert.equal((await second.decide("new.example")).verdict, "none");
    await first.edit("add", "block", ["new.example"]);
    assert.equal((await second.decide("new.example")).verdict, "none", "still its cached decision");
    const version = second.version;
    await second.refresh();
    assert.equal(second.version, version + 1, "it saw the change");
    assert.deepEqual(await second.decide("www.new.example"), {
      verdict: "blocked",
      rule: { list: "custom", entry: "new.example" },
    });
    assert.equal((await second.decide("new.example")).verdict, "blocked");
  },
);

redisTest(
  "IP entries loaded through one instance are read into another's at its next version poll",
  async ({ redis, make }) => {
    const first = make();
    const second = make();
    await second.refresh();
    await first.load([BAD_IPS]);
    assert.equal(second.addressRules, undefined, "not seen yet");
    await second.refresh();
    const decided = second.addressRules!.decide(addressBytes("192.0.2.1"));
    assert.equal(decided.verdict, "blocked");
    assert.equal(await inspect(redis, "SCARD", "t:bl:ipblock:bad-ips"), 2);
    await first.load([{ ...BAD_IPS, ips: undefined }]);
    await second.refresh();
    assert.equal(second.addressRules, undefined, "a list that lost its IP entries");
    assert.deepEqual(await inspect(redis, "KEYS", "t:bl:ip*"), []);
  },
);

redisTest("a reload leaves no temporary sets behind", async ({ redis, make }) => {
  const blocklist = make();
  const big = {
    name: "big",
    block: Array.from({ length: 5000 }, (_, i) => `h${i}.example`),
    allow: [],
  };
  await blocklist.load([big]);
  await blocklist.load([{ ...big, block: big.block.slice(0, 10) }]);
  assert.equal(await inspect(redis, "SCARD", "t:bl:block:big"), 10);
  assert.deepEqual(await inspect(redis, "KEYS", "*loading*"), []);
});

redisTest(
  "Redis hanging fails decisions within the timeout, and they recover",
  async ({ redis, make }) => {
    const blocklist = make({ decisionLifetimeMs: 0, timeoutMs: 200 });
    await blocklist.load([ADS]);
    redis.pause();
    const started = performance.now();
    await assert.rejects(blocklist.decide("ads.example"), StoreError);
    assert.ok(performance.now() - started < 500, "within the timeout");
    redis.resume();
    await eventually(async () => {
      assert.equal((await blocklist.decide("ads.example")).verdict, "blocked");
    });
  },
);
