/**
 * The list-format parser (blocklist/parse.ts) against hand-written sample lists of each format
 * (tests/fixtures/lists/) and small inline samples with exact expectations: hosts files and
 * their boilerplate, plain domains, Adblock DNS rules and what we refuse of them, wildcards,
 * IDN, BOM and line endings, invalid-line accounting. A seeded fuzz run checks that nothing
 * throws, that every entry is canonical, and that the fast path agrees with the general one.
 */
import { Random } from "../support/random_messages.ts";
import assert from "node:assert/strict";
import { loadRuleParser, type ParsedList, parseList, parseSteps } from "../../blocklist/parse.ts";
import { normalizeDomain } from "../../dns/domain_entry.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../fixtures/lists/${name}`, import.meta.url));

/** The counts of a parse, for one exact comparison. */
const counts = (list: ParsedList) => ({
  lines: list.lines,
  skipped: list.skipped,
  invalid: list.invalid.count,
  block: list.block.length,
  allow: list.allow.length,
});

Deno.test("parseList() reads the sample hosts file: entries, boilerplate and broken lines", async () => {
  const list = parseList(await fixture("hosts.txt"));
  assert.deepEqual(counts(list), { lines: 134, skipped: 61, invalid: 6, block: 71, allow: 0 });
  assert.deepEqual(list.ips, { block: ["0.0.0.0"], allow: [] }, "an address alone: an IP entry");
  assert.deepEqual(list.block.slice(0, 4), [
    "ads.blinkmetrics.example",
    "pixel.blinkmetrics.example",
    "cdn.blinkmetrics.example",
    "sync.blinkmetrics.example",
  ]);
  assert.deepEqual(list.block.slice(-5), [
    "good-before-bad.example",
    "ipv6-sink.example",
    "ipv6-loop.example",
    "ipv6-long.example",
    "last-one.example",
  ]);
  for (const name of ["go.redirectly.test", "spaced.badcdn.test", "tabbed.badcdn.test", "zip"]) {
    assert.ok(list.block.includes(name), name);
  }
  assert.deepEqual(list.invalid.examples, [
    { line: 118, text: "0.0.0.0 bad!name.example", reason: "invalid character '!'" },
    {
      line: 119,
      text: "300.1.1.1 overflow-address.example",
      reason: "several words, and the first is not an IP address",
    },
    { line: 120, text: "0.0.0.0 double..dot.example", reason: "an empty label" },
    {
      line: 121,
      text: "0.0.0.0 good-before-bad.example bad~after.example",
      reason: "invalid character '~'",
    },
    { line: 122, text: "0.0.0.0 http://url-in-hosts.example/", reason: "a URL, not a domain" },
  ]);
});

Deno.test("parseList() skips hosts-file boilerplate without counting it invalid", () => {
  const list = parseList(
    [
      "127.0.0.1 localhost",
      "127.0.0.1 localhost.localdomain",
      "127.0.0.1 local",
      "255.255.255.255 broadcasthost",
      "::1 localhost ip6-localhost ip6-loopback",
      "fe80::1%lo0 localhost",
      "ff00::0 ip6-localnet",
      "ff00::0 ip6-mcastprefix",
      "ff02::1 ip6-allnodes",
      "ff02::2 ip6-allrouters",
      "ff02::3 ip6-allhosts",
      "0.0.0.0 0.0.0.0",
      "127.0.0.1 127.0.0.1 ::1",
      "LOCALHOST",
      "||localhost^",
    ].join("\n"),
  );
  assert.deepEqual(counts(list), { lines: 15, skipped: 15, invalid: 0, block: 0, allow: 0 });
});

Deno.test("parseList() keeps the real names of a hosts line that also carries boilerplate", () => {
  const list = parseList("127.0.0.1 localhost ads.example\n0.0.0.0 localhost.example.com");
  assert.deepEqual(list.block, ["ads.example", "localhost.example.com"]);
  assert.equal(list.skipped, 0);
});

Deno.test("parseList() reads hosts files with several names per line and trailing comments", () => {
  const list = parseList(
    [
      "0.0.0.0 a.example b.example c.example",
      "127.0.0.1\td.example\te.example # two at once",
      "0.0.0.0 f.example # one",
      "0.0.0.0 g.example#glued comment",
      "0.0.0.0   h.example   ",
    ].join("\n"),
  );
  assert.deepEqual(list.block, [
    "a.example",
    "b.example",
    "c.example",
    "d.example",
    "e.example",
    "f.example",
    "g.example",
    "h.example",
  ]);
  assert.deepEqual(counts(list), { lines: 5, skipped: 0, invalid: 0, block: 8, allow: 0 });
});

Deno.test("parseList() takes any IPv4 or IPv6 literal as the address of a hosts line", () => {
  const addresses = [
    "0.0.0.0",
    "127.0.0.1",
    "::",
    "::1",
    "255.255.255.255",
    "fe80::1%lo0",
    "2001:db8::1",
    "192.0.2.1",
    "0:0:0:0:0:0:0:0",
    "::ffff:192.0.2.1",
  ];
  const list = parseList(addresses.map((ip, i) => `${ip} n${i}.example`).join("\n"));
  assert.deepEqual(list.block, addresses.map((_, i) => `n${i}.example`));
  assert.equal(list.invalid.count, 0);
});

Deno.test("parseList() refuses a line of several words that does not open with an address", () => {
  const list = parseList("ads.example pixel.example\n1.2.3.4.5 a.example\n1::2::3 b.example");
  assert.deepEqual(list.block, []);
  assert.deepEqual(list.invalid.examples.map((e) => e.reason), [
    "several words, and the first is not an IP address",
    "several words, and the first is not an IP address",
    "several words, and the first is not an IP address",
  ]);
});

Deno.test("parseList() keeps the good names of a hosts line and counts the line invalid", () => {
  const list = parseList("0.0.0.0 good.example bad$.example also-good.example");
  assert.deepEqual(list.block, ["good.example", "also-good.example"]);
  assert.deepEqual(list.invalid, {
    count: 1,
    examples: [{
      line: 1,
      text: "0.0.0.0 good.example bad$.example also-good.example",
      reason: "invalid character '$'",
    }],
  });
});

Deno.test("parseList() reads the sample plain domain list, IDNs as punycode", async () => {
  const list = parseList(await fixture("domains.txt"));
  assert.deepEqual(counts(list), { lines: 74, skipped: 20, invalid: 5, block: 47, allow: 0 });
  assert.deepEqual(list.ips, { block: ["192.0.2.44", "2001:db8::44"], allow: [] });
  assert.deepEqual(list.block, [
    "adcloud.example",
    "ads.adcloud.example",
    "banner-farm.example",
    "bidswitch-like.test",
    "cpm-exchange.example",
    "display.cpm-exchange.example",
    "header-bidding.test",
    "prebid-proxy.example",
    "rtb.marketplace.example",
    "sponsored-links.example",
    "beacon.trackwise.example",
    "collector.trackwise.example",
    "fingerprint-lab.test",
    "heatmapper.example",
    "sessionreplay.example",
    "sessionreplay-cdn.example",
    "tagmanager-clone.test",
    "tracking.example.org",
    "uid-sync.example",
    "userpath.example",
    "diagnostics.appvendor.example",
    "telemetry.appvendor.example",
    "usage.devtool.test",
    "ping.updater.example",
    "account-verify.phish.example",
    "amaz0n-login.example",
    "bank-secure-update.test",
    "crypto-giveaway.example",
    "free-prizes.test",
    "paypai-support.example",
    "wallet-recovery.example",
    "uppercase.example",
    "trailing.dot.example",
    "xn--bcher-werbung-wob.example",
    "xn--mnchen-tracking-zvb.test",
    "xn--80aanufhx.example",
    "xn--4rrt1v.example",
    "xn--werbung-9wa.example",
    "inline-comment.example",
    "inline-tab.example",
    "zip",
    "mov",
    "a.example",
    "_sip-ads.example",
    "ad_server.example",
    "-leading-hyphen.example",
    "last.example",
  ]);
  assert.deepEqual(list.invalid.examples.map((e) => [e.line, e.reason]), [
    [66, "several words, and the first is not an IP address"],
    [67, "a '*' other than a leading '*.'"],
    [70, "a label longer than 63 characters"],
    [71, "an empty label"],
    [72, "a URL, not a domain"],
  ]);
});

Deno.test("parseList() reads the sample Adblock DNS filter: blocks, exceptions, rules, refusals", async () => {
  const list = parseList(await fixture("adblock.txt"));
  assert.deepEqual(counts(list), { lines: 72, skipped: 24, invalid: 6, block: 30, allow: 3 });
  assert.deepEqual(list.allow, [
    "good.example",
    "cdn.brightclick.example",
    "*.safe.adfarm.test",
  ]);
  assert.deepEqual(list.block.slice(16, 20), [
    "track.example",
    "stats.counterpoint.test",
    "*.track.example",
    "*.adfarm.test",
  ]);
  assert.deepEqual(list.block.slice(-3), [
    "ads.upper.example",
    "xn--werbung-9wa.example",
    "xn--werbetrger-w5a.example",
  ]);
  assert.deepEqual(list.rules.map((rule) => rule.text), [
    "||must-block.example^$important",
    "||also-must.example^$important",
    "@@||login.gadgetco.example^$important",
    "||aaaa-only.example^$dnstype=AAAA",
    "||kids-only.example^$client=192.168.1.20",
    "||broken-rule.example^$badfilter",
    "||parent.example^$denyallow=child.parent.example",
    "/^ad[0-9]+\\.example\\.com$/",
    "/banner[s]?\\./",
  ]);
  assert.deepEqual(list.skippedModifiers, { "third-party": 1 });
  assert.deepEqual(list.invalid.examples.map((e) => [e.line, e.reason]), [
    [52, "a rule with a path, not a domain rule"],
    [53, "an exact-address rule (|…), not supported"],
    [56, "a cosmetic rule, not a domain rule"],
    [57, "a cosmetic rule, not a domain rule"],
    [58, "a cosmetic rule, not a domain rule"],
  ]);
});

Deno.test("parseList() reads every DNS form of an Adblock rule as the name and its subdomains", () => {
  const list = parseList(
    [
      "[Adblock Plus 2.0]",
      "! comment",
      "||a.example^",
      "||b.example^|",
      "||c.example|",
      "||d.example",
      "||E.Example.^",
      "||*.h.example^",
      "@@||i.example^",
      "@@||*.k.example^",
      "||l.example^ # trailing comment",
    ].join("\n"),
  );
  assert.deepEqual(list.block, [
    "a.example",
    "b.example",
    "c.example",
    "d.example",
    "e.example",
    "*.h.example",
    "l.example",
  ]);
  assert.deepEqual(list.allow, ["i.example", "*.k.example"]);
  assert.deepEqual(counts(list), { lines: 11, skipped: 2, invalid: 0, block: 7, allow: 2 });
});

Deno.test("parseList() gives a clear reason for each Adblock rule it does not support", () => {
  const cases: [string, string][] = [
    ["||a.example^$important,ctag=device_tv", "unsupported modifier $ctag"],
    ["@@||a.example^$dnsrewrite=1.2.3.4", "an exception with $dnsrewrite, not supported"],
    [
      "||a.example^$dnsrewrite=NOERROR;MX;10 mail.example",
      "unsupported $dnsrewrite form: NOERROR;MX;10 mail.example",
    ],
    ["||a.example^$dnstype=NOTATYPE", "$dnstype: NOTATYPE: not a record type"],
    ["||a.example^$denyallow=b..example", "$denyallow: b..example: an empty label"],
    ["||a.example^$client=10.0.0.0/99", "$client: 10.0.0.0/99: not an address range"],
    ["||a.example^$~important", "$~important is not supported"],
    ["||a.example^$important=yes", "$important takes no value"],
    ["||a.example^$", "not a rule: Empty modifiers are not allowed"],
    [
      "/a(?=b)/",
      "a regular expression RE2 cannot run: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    ],
    ["||a.example/ads", "a rule with a path, not a domain rule"],
    ["||a.example^/ads^", "a rule with a path, not a domain rule"],
    ["||a^b.example^", "a pattern, not a domain rule"],
    ["|a.example^", "an exact-address rule (|…), not supported"],
    ["@@a.example", "not a domain rule"],
    ["@a.example", "not a domain rule"],
    ["example.com##.banner", "a cosmetic rule, not a domain rule"],
    ["example.com#@#.banner", "a cosmetic rule, not a domain rule"],
    ["example.com#?#div:has(.ad)", "a cosmetic rule, not a domain rule"],
    ["example.com#$#body { color: red }", "a cosmetic rule, not a domain rule"],
    ["example.com#@$?#.x", "a cosmetic rule, not a domain rule"],
    ["||*ads.example^", "a '*' other than a leading '*.'"],
    ["||^", "an empty name"],
    ["https://a.example/page", "a URL, not a domain"],
    ["a.example/path", "a rule with a path, not a domain rule"],
    ["[not a header]", "not a domain rule"],
  ];
  for (const [line, reason] of cases) {
    const list = parseList(line);
    assert.deepEqual(list.invalid.examples, [{ line: 1, text: line, reason }], line);
    assert.deepEqual([list.block, list.allow], [[], []], line);
  }
});

Deno.test("parseList() treats a line opening with # as a comment and ## after a name as cosmetic", () => {
  const list = parseList(
    [
      "# comment",
      "## also a comment (cosmetic rules need a domain before them)",
      "#@#.banner",
      "a.example ## a comment, because of the space",
      "b.example##.banner",
    ].join("\n"),
  );
  assert.deepEqual(list.block, ["a.example"]);
  assert.deepEqual(counts(list), { lines: 5, skipped: 3, invalid: 1, block: 1, allow: 0 });
  assert.equal(list.invalid.examples[0].line, 5);
});

Deno.test("parseList() reads wildcard lines as subdomain-only entries", async () => {
  const list = parseList(await fixture("wildcards.txt"));
  assert.deepEqual(counts(list), { lines: 25, skipped: 6, invalid: 5, block: 14, allow: 0 });
  assert.deepEqual(list.block.slice(-4), [
    "*.loud.example",
    "*.trailing.example",
    "*.zip",
    "*.last.example",
  ]);
  assert.deepEqual(list.invalid.examples.map((e) => [e.line, e.text, e.reason]), [
    [19, "*.", "a wildcard without a name"],
    [20, "*", "a wildcard without a name"],
    [21, "a.*.example", "a '*' other than a leading '*.'"],
    [22, "**.double.example", "a '*' other than a leading '*.'"],
    [23, "*.192.0.2.1", "an IP address, not a name"],
  ]);
});

Deno.test("parseList() puts the plain names of an allowlist in block: the caller knows the list", async () => {
  const list = parseList(await fixture("allowlist.txt"));
  assert.deepEqual(counts(list), { lines: 18, skipped: 4, invalid: 0, block: 14, allow: 0 });
  assert.equal(list.block[0], "login.gadgetco.example");
  assert.equal(list.block[12], "click.newsletter.example");
});

Deno.test("parseList() reads a list with a UTF-8 BOM and Windows line endings like the plain one", async () => {
  for (const name of ["hosts.txt", "domains.txt", "adblock.txt", "wildcards.txt"]) {
    const text = await fixture(name);
    const windows = parseList(`\uFEFF${text.replaceAll("\n", "\r\n")}`);
    const plain = parseList(text);
    assert.deepEqual([windows.block, windows.allow], [plain.block, plain.allow], name);
    assert.deepEqual(counts(windows), counts(plain), name);
    assert.deepEqual(windows.invalid.examples, plain.invalid.examples, name);
  }
});

Deno.test("parseList() reads a BOM before the first entry and old Mac line endings", () => {
  assert.deepEqual(parseList("\uFEFF0.0.0.0 a.example\r\n").block, ["a.example"]);
  assert.deepEqual(parseList("\uFEFF||a.example^").block, ["a.example"]);
  const mac = parseList("# old Mac file\ra.example\rb.example\r");
  assert.deepEqual(mac.block, ["a.example", "b.example"]);
  assert.deepEqual(counts(mac), { lines: 3, skipped: 1, invalid: 0, block: 2, allow: 0 });
});

Deno.test("parseList() counts lines as a text editor does, a final newline adding none", () => {
  assert.equal(parseList("").lines, 0);
  assert.equal(parseList("\uFEFF").lines, 0);
  assert.equal(parseList("a.example").lines, 1);
  assert.equal(parseList("a.example\n").lines, 1);
  assert.equal(parseList("a.example\n\n").lines, 2);
  assert.deepEqual(counts(parseList("\n \n\t\r\n")), {
    lines: 3,
    skipped: 3,
    invalid: 0,
    block: 0,
    allow: 0,
  });
});

Deno.test("parseList() counts every invalid line but keeps five examples, cut to 200 chars", () => {
  const long = `0.0.0.0 ${"x".repeat(300)}.example`;
  const lines = ["ok.example", long, "bad!1.example", "# c", "bad!2.example", "bad!3.example"];
  lines.push("bad!4.example", "bad!5.example", "ok2.example");
  const list = parseList(lines.join("\n"));
  assert.equal(list.invalid.count, 6);
  assert.deepEqual(list.block, ["ok.example", "ok2.example"]);
  assert.deepEqual(list.invalid.examples.map((e) => e.line), [2, 3, 5, 6, 7]);
  assert.equal(list.invalid.examples[0].text, long.slice(0, 200));
  assert.equal(list.invalid.examples[0].reason, "a label longer than 63 characters");
});

Deno.test("parseList() reads mixed formats in one list", () => {
  const list = parseList(
    [
      "! mixed",
      "0.0.0.0 hosts.example",
      "plain.example",
      "||adblock.example^",
      "*.wild.example",
      "@@||allowed.example^",
      "# done",
    ].join("\n"),
  );
  assert.deepEqual(list.block, [
    "hosts.example",
    "plain.example",
    "adblock.example",
    "*.wild.example",
  ]);
  assert.deepEqual(list.allow, ["allowed.example"]);
  assert.deepEqual(counts(list), { lines: 7, skipped: 2, invalid: 0, block: 4, allow: 1 });
});

Deno.test("parseList() does not deduplicate: a name listed twice is there twice", () => {
  assert.deepEqual(parseList("a.example\n0.0.0.0 a.example\n||A.example^").block, [
    "a.example",
    "a.example",
    "a.example",
  ]);
});

Deno.test("normalizeDomain() gives the canonical form of names, wildcards and IDNs", () => {
  const cases: [string, string][] = [
    ["www.example.com", "www.example.com"],
    ["  WWW.Example.COM. ", "www.example.com"],
    ["*.Ads.example", "*.ads.example"],
    ["*.ads.example.", "*.ads.example"],
    ["zip", "zip"],
    ["_dmarc.example", "_dmarc.example"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["BÜCHER.example", "xn--bcher-kva.example"],
    ["*.bücher.example", "*.xn--bcher-kva.example"],
    ["ＡＢＣ.example", "abc.example"],
    ["広告.example", "xn--4rrt1v.example"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["1.2.3", "1.2.3"],
    [`${"a".repeat(63)}.example`, `${"a".repeat(63)}.example`],
  ];
  for (const [input, name] of cases) assert.deepEqual(normalizeDomain(input), { name }, input);
});

Deno.test("normalizeDomain() says why a string is not a domain entry", () => {
  const long = Array.from({ length: 51 }, () => "abcd").join(".");
  const cases: [string, string][] = [
    ["", "an empty name"],
    [".", "an empty name"],
    ["*", "a wildcard without a name"],
    ["a..example", "an empty label"],
    ["a.example..", "an empty label"],
    [".a.example", "an empty label"],
    ["a.*.example", "a '*' other than a leading '*.'"],
    ["*a.example", "a '*' other than a leading '*.'"],
    [`${"a".repeat(64)}.example`, "a label longer than 63 characters"],
    [long, "a name longer than 253 characters"],
    ["10.0.0.1", "an IP address, not a name"],
    ["::1", "an IP address, not a name"],
    ["fe80::1%eth0", "an IP address, not a name"],
    ["１２７.０.０.１", "an IP address, not a name"],
    ["a:b.example", "invalid character ':'"],
    ["a b.example", "invalid character ' ' (a space)"],
    ["a\u0000.example", "invalid character U+0000"],
    ["a%41.example", "invalid character '%'"],
    ["user@a.example", "invalid character '@'"],
    ["a\u3002\u3002example", "an empty label"],
    ["ü\u00A0.example", "not a valid international name"],
  ];
  for (const [input, reason] of cases) assert.deepEqual(normalizeDomain(input), { reason }, input);
});

// deno-fmt-ignore
const PIECES = [
  "0.0.0.0 ", "127.0.0.1 ", "::1 ", "||", "@@", "^", "|", "$", "$important", "$third-party", "*.",
  "*", ".", "..", "#", "##", "#@#", " # ", "!", "[Adblock Plus 2.0]", "/", "://", "a", "Z", "-",
  "_", "example", "com", "localhost", "ip6-allnodes", "0", "255", ":", "%", "=", ",", " ", "\t",
  "\u00fc", "\u5e83", "\uff21", "\u3002", "\u00ad", "\ud83d\ude00", "\ud800", "\u0000", "\u200b",
  "xn--", "xn--bcher-kva", "x".repeat(64), "\uFEFF",
];

/** A line of random pieces, or a fixture line with a few characters changed. */
function fuzzLine(next: () => number, seeds: string[]): string {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)];
  if (next() < 0.5) {
    let line = "";
    for (let n = Math.floor(next() * 8); n >= 0; n--) line += pick(PIECES);
    return line;
  }
  const chars = [...pick(seeds)];
  for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
    const at = Math.floor(next() * (chars.length + 1));
    const choice = next();
    if (choice < 0.33) chars.splice(at, 1);
    else if (choice < 0.66) chars.splice(at, 0, pick(PIECES));
    else chars[at] = String.fromCharCode(Math.floor(next() * 0x3000));
  }
  return chars.join("").replaceAll(/[\r\n]/g, "");
}

const BOILERPLATE = [
  "localhost",
  "local",
  "broadcasthost",
  "ip6-allnodes",
  "localhost.localdomain",
];

Deno.test("parseList() never throws, yields canonical entries and agrees with its general path", async () => {
  const seed = 20240501;
  const rng = new Random(seed);
  const next = () => rng.next();
  const seeds: string[] = [];
  for (const name of ["hosts.txt", "domains.txt", "adblock.txt", "wildcards.txt"]) {
    seeds.push(...(await fixture(name)).split("\n").filter((line) => line !== ""));
  }
  const lines = Array.from({ length: 30_000 }, () => fuzzLine(next, seeds));
  const all = parseList(lines.join("\n"));
  assert.equal(all.lines, lines.length, `seed ${seed}`);
  assert.ok(all.skipped + all.invalid.count <= all.lines, `seed ${seed}`);
  assert.ok(all.invalid.examples.length === Math.min(5, all.invalid.count), `seed ${seed}`);
  for (const entry of [...all.block, ...all.allow]) {
    assert.deepEqual(normalizeDomain(entry), { name: entry }, `seed ${seed}: ${entry}`);
    assert.ok(!BOILERPLATE.includes(entry), `seed ${seed}: ${entry}`);
  }
  let block = 0;
  for (const [index, line] of lines.entries()) {
    const fast = parseList(`${line}\n`);
    const general = parseList(` ${line}\n`); // a leading blank keeps a line off the fast path
    const where = `seed ${seed}, line ${index + 1}: ${JSON.stringify(line)}`;
    assert.deepEqual([fast.block, fast.allow], [general.block, general.allow], where);
    assert.deepEqual(counts(fast), counts(general), where);
    block += fast.block.length;
  }
  assert.equal(all.block.length, block, `seed ${seed}`);
});

Deno.test("normalizeDomain() never throws on random strings", () => {
  const rng = new Random(7);
  const next = () => rng.next();
  for (let i = 0; i < 20_000; i++) {
    let input = "";
    for (let n = Math.floor(next() * 12); n >= 0; n--) {
      input += PIECES[Math.floor(next() * PIECES.length)];
    }
    const result = normalizeDomain(input);
    if ("name" in result) assert.deepEqual(normalizeDomain(result.name), result, input);
    else assert.ok(result.reason.length > 0 && result.reason.length < 80, input);
  }
});

Deno.test("parseSteps() yields every few regex lines: each is compiled to be checked", () => {
  const lines = Array.from({ length: 320 }, (_, i) => `/^ad${i}[0-9]+\\.example$/`);
  const steps = parseSteps(lines.join("\n"));
  let yields = 0;
  let step = steps.next();
  while (!step.done) {
    yields++;
    step = steps.next();
  }
  assert.equal(step.value.rules.length, 320);
  assert.ok(yields >= 10, `${yields} yields for 320 regex lines`);
});
