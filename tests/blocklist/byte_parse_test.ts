/**
 * The byte parse (parse.ts `parseBytesSteps` with fingerprints: the common lines' names hashed
 * from the list's bytes, no string each) must give what the plain way gives: the list decoded
 * as text, parsed into strings, the strings built into a set. Same report (lines, skipped,
 * invalid lines and their examples, rules, IP entries), same set size, same match for every
 * name, on the sample lists, on odd bytes (CR, tabs, NUL, UTF-8 good and broken, overlong
 * lines, no final newline, upper case) and on seeded random lists of such lines; and the
 * memory store, which takes fingerprints, decides as the Redis store, which takes strings.
 */
import assert from "node:assert/strict";
import type { Blocklist } from "../../blocklist/blocklist.ts";
import type { Decision } from "../../blocklist/decision.ts";
import { DomainSet, EntryFingerprints } from "../../blocklist/domain_set.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import {
  lineCountSteps,
  loadRuleParser,
  parseBytesSteps,
  type ParsedList,
  parseList,
} from "../../blocklist/parse.ts";
import { RedisBlocklist } from "../../blocklist/redis_blocklist.ts";
import { runAtOnce } from "../../blocklist/slices.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { integration } from "../support/binaries.ts";
import { Random } from "../support/random_messages.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";

await loadRuleParser();

const encoder = new TextEncoder();

/** What a parse reports besides its block entries. */
function report(list: ParsedList) {
  const { lines, skipped, invalid, rules, skippedModifiers, ips, allow } = list;
  return { lines, skipped, invalid, rules, skippedModifiers, ips, allow };
}

/** A decision's verdict and the list behind it. */
function listOf(decision: Decision): string {
  return "rule" in decision ? `${decision.verdict} by ${decision.rule.list}` : decision.verdict;
}

/** Names to ask of both sets: every entry, a subdomain and the parent of each, strangers. */
function queriesFor(list: ParsedList): string[] {
  const names = [...list.block, ...list.allow].map((entry) => entry.replace(/^\*\./, ""));
  const queries = ["", "example", "stranger.example", "a.b.c.stranger.test"];
  for (const name of names) {
    queries.push(name, `x.${name}`, `deep.er.${name}`, name.slice(name.indexOf(".") + 1));
  }
  return queries;
}

/**
 * Parses `bytes` both ways and checks they agree; returns the plain parse and how many of its
 * block names the byte parse made no string of.
 */
function assertSameBothWays(bytes: Uint8Array, label: string) {
  const plain = parseList(new TextDecoder().decode(bytes));
  const prints = new EntryFingerprints();
  const hashed = runAtOnce(parseBytesSteps(bytes, prints));
  assert.deepEqual(report(hashed), report(plain), `${label}: the report`);
  assert.equal(runAtOnce(lineCountSteps(bytes)), plain.lines, `${label}: lines counted first`);
  const plainSet = DomainSet.from(plain.block);
  const hashedSet = runAtOnce(DomainSet.buildSteps(hashed.block, prints));
  assert.equal(hashedSet.size, plainSet.size, `${label}: distinct entries`);
  for (const name of queriesFor(plain)) {
    assert.equal(hashedSet.matchName(name), plainSet.matchName(name), `${label}: ${name}`);
  }
  return { plain, unmade: plain.block.length - hashed.block.length };
}

const fixtures = ["hosts.txt", "domains.txt", "adblock.txt", "allowlist.txt", "wildcards.txt"];

for (const name of fixtures) {
  Deno.test(`the sample ${name} gives the same report and set by bytes as by strings`, async () => {
    const bytes = await Deno.readFile(new URL(`../fixtures/lists/${name}`, import.meta.url));
    assertSameBothWays(bytes, name);
  });
}

Deno.test("the common lines' names are hashed from the bytes, upper case as lower", () => {
  const text = [
    "0.0.0.0 ads.example",
    "127.0.0.1 Tracker.Example # a comment",
    "||Pixel.EXAMPLE^",
    "PLAIN.example",
    "0.0.0.0 LOCALHOST.LocalDomain",
    "0.0.0.0 localhost.example",
  ].join("\n");
  const { plain, unmade } = assertSameBothWays(encoder.encode(text), "common lines");
  assert.deepEqual(plain.block, [
    "ads.example",
    "tracker.example",
    "pixel.example",
    "plain.example",
    "localhost.example",
  ]);
  assert.equal(plain.skipped, 1, "localhost.localdomain is boilerplate in any case");
  assert.equal(unmade, 4, "only localhost.example took the general path");
});

Deno.test("odd bytes parse the same both ways: CR, tabs, NUL, UTF-8, long lines, no newline", () => {
  const long = `${"a".repeat(63)}.`.repeat(5) + "example";
  const cases: [string, Uint8Array][] = [
    ["CRLF", encoder.encode("a.example\r\n0.0.0.0 b.example\r\n||c.example^\r\n")],
    ["CR only", encoder.encode("a.example\r0.0.0.0 b.example\r# c\r||d.example^")],
    ["tabs", encoder.encode("0.0.0.0\ta.example\nb.example\t# c\n\tc.example\t\n")],
    ["NUL", encoder.encode("a.exa\0mple\n\0\nb.example\0\n0.0.0.0 c.example\0")],
    ["UTF-8", encoder.encode("bücher.example\n0.0.0.0 ☃.example\n||straße.example^\n")],
    ["broken UTF-8", Uint8Array.from([0x61, 0xc3, 0x2e, 0x65, 0x78, 10, 0xff, 0xfe, 10, 0x62])],
    ["a BOM first", encoder.encode("\ufeffa.example\nb.example\n")],
    ["a BOM inside", encoder.encode("a.example\n\ufeffb.example\n")],
    ["long lines", encoder.encode(`${long}\n0.0.0.0 ${long}x\n${"b".repeat(100_000)}.example`)],
    ["no final newline", encoder.encode("a.example\nb.example")],
    ["one name only", encoder.encode("a.example")],
    ["empty", new Uint8Array(0)],
    ["blank lines", encoder.encode("\n\n\r\n \n\t\n")],
    ["digits and dashes", encoder.encode("1.2.3.4\n-.example\n123.example\na-.b-\n10.0.0.1 x.y\n")],
    ["comments glued", encoder.encode("a.example#x\na.example ##x\n0.0.0.0 b.example#\n")],
  ];
  for (const [label, bytes] of cases) assertSameBothWays(bytes, label);
});

Deno.test("lines are counted in steps, a million never at once", () => {
  const bytes = encoder.encode("a.example\n".repeat(1_000_000));
  const steps = lineCountSteps(bytes);
  let yields = 0;
  let step = steps.next();
  for (; !step.done; step = steps.next()) yields++;
  assert.equal(step.value, 1_000_000);
  assert.ok(yields >= 10, `${yields} steps`);
});

/** Line pieces a list could hold, good and bad. */
const PIECES = [
  "ads.example",
  "Ads.Example",
  "0.0.0.0 ",
  "127.0.0.1 ",
  "127.0.0.1\t",
  "::1 ",
  "||",
  "^",
  "@@||",
  "$important",
  "# note",
  "#",
  "##.banner",
  "!",
  " ",
  "\t",
  "\r",
  "\0",
  ".",
  "..",
  "*.",
  "-",
  "_",
  "x",
  "ü",
  "\ufeff",
  "localhost",
  "localhost.localdomain",
  "10.0.0.",
  "1",
  "/ad[0-9]+/",
  "[Adblock Plus 2.0]",
  "https://",
  "/path",
];

function randomLine(random: Random): Uint8Array {
  if (random.bool(0.03)) {
    return Uint8Array.from({ length: 1 + random.int(8) }, () => random.int(256));
  }
  if (random.bool(0.02)) return encoder.encode(`${"l".repeat(60 + random.int(10))}.`.repeat(5));
  let line = "";
  const count = 1 + random.int(5);
  for (let i = 0; i < count; i++) line += PIECES[random.int(PIECES.length)];
  return encoder.encode(line);
}

Deno.test("seeded random lists of odd lines parse the same both ways", () => {
  const random = new Random(2026_12_07);
  for (let round = 0; round < 300; round++) {
    const separator = encoder.encode(["\n", "\r\n", "\r"][random.int(3)]);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) parts.push(randomLine(random), separator);
    if (random.bool()) parts.pop(); // no final newline
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    assertSameBothWays(bytes, `round ${round}: ${JSON.stringify(new TextDecoder().decode(bytes))}`);
  }
});

Deno.test({
  name: "the memory store (fingerprints) decides as the Redis store (strings) after a sync",
  ...integration(["redis-server"]),
  async fn() {
    const dir = await Deno.makeTempDir();
    const redis = await startRedis();
    const { store, close } = REDIS_CLIENTS[0][1](redis);
    const redisList = new RedisBlocklist(store, { prefix: "t:", decisionLifetimeMs: 0, pollMs: 0 });
    try {
      const texts = await Promise.all(
        ["hosts.txt", "domains.txt", "adblock.txt"].map((name) =>
          Deno.readTextFile(new URL(`../fixtures/lists/${name}`, import.meta.url))
        ),
      );
      const text = [...texts, "0.0.0.0 UPPER.Example\n||Mixed.Case.EXAMPLE^\nbücher.example"]
        .join("\n");
      await Deno.writeTextFile(`${dir}/list.txt`, text);
      await Deno.writeTextFile(`${dir}/allow.txt`, "ok.ads.example\nFINE.UPPER.example\n");
      const sources = [
        { name: "list", location: `${dir}/list.txt`, kind: "block" as const },
        { name: "allow", location: `${dir}/allow.txt`, kind: "allow" as const },
      ];
      const options = { maxAgeMs: 0, maxBytes: 1 << 20, timeoutMs: 1000 };
      const memory = new MemoryBlocklist();
      assert.equal(memory.takesFingerprints, true);
      assert.notEqual((redisList as Blocklist).takesFingerprints, true);
      for (const blocklist of [memory, redisList]) {
        const synced = await new ListSync(blocklist, sources, options).run();
        assert.deepEqual(synced.lists.map((list) => list.outcome), ["file", "file"]);
      }
      const held = async (blocklist: Blocklist) =>
        (await blocklist.summary()).filter((list) => list.name !== "custom")
          .map(({ name, blockEntries, allowEntries }) => ({ name, blockEntries, allowEntries }));
      assert.deepEqual(await held(memory), await held(redisList));
      const queries = [...queriesFor(parseList(text)), "fine.upper.example", "a.ok.ads.example"];
      let blocked = 0;
      for (const name of queries) {
        // Verdict and list: where "x" and "*.x" are both listed, the stores name different ones.
        const decision = memory.decide(name);
        assert.deepEqual(listOf(decision), listOf(await redisList.decide(name)), name);
        if (decision.verdict === "blocked") blocked++;
      }
      assert.ok(blocked > 100, `${blocked} names blocked`);
      assert.equal(memory.decide("x.upper.example").verdict, "blocked");
      assert.equal(memory.decide("fine.upper.example").verdict, "allowed");
    } finally {
      redisList.close();
      await close();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
