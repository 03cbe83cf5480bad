/**
 * IP entries as lists write them (AdGuard's `||192.0.2.7^`, plain addresses and ranges, IPv6),
 * parsed by the real list parser into one canonical spelling, apart from the names.
 */
import assert from "node:assert/strict";
import { MAX_IP_ENTRIES } from "../../blocklist/ip_entry.ts";
import { loadRuleParser, parseList } from "../../blocklist/parse.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

Deno.test("address and range lines are IP entries, in one canonical spelling", () => {
  const parsed = parseList([
    "||192.0.2.7^",
    "||192.0.2.8",
    "||198.51.100.0/24^|",
    "192.0.2.9",
    "203.0.113.77/24 # the whole network",
    "2001:DB8::/32",
    "||2001:db8:1::1^$important",
    "::ffff:192.0.2.10",
    "@@||192.0.2.11^",
    "@@198.51.100.12",
  ].join("\n"));
  assert.deepEqual(parsed.ips, {
    block: [
      "192.0.2.7",
      "192.0.2.8",
      "198.51.100.0/24",
      "192.0.2.9",
      "203.0.113.0/24",
      "2001:db8::/32",
      "2001:db8:1::1",
      "192.0.2.10",
    ],
    allow: ["192.0.2.11", "198.51.100.12"],
  });
  assert.deepEqual(parsed.block, [], "no name entry");
  assert.equal(parsed.invalid.count, 0);
});

Deno.test("hosts lines and names that look like hex stay name entries", () => {
  const parsed = parseList(
    ["0.0.0.0 ads.example", "192.0.2.1 tracker.example", "cafe.de", "||beef.ad^"].join("\n"),
  );
  assert.deepEqual(parsed.block, ["ads.example", "tracker.example", "cafe.de", "beef.ad"]);
  assert.equal(parsed.ips, undefined, "a list without IP entries carries none");
});

Deno.test("an IP rule with a modifier other than $important is counted invalid, naming it", () => {
  const parsed = parseList("||192.0.2.7^$client=192.0.2.1\n||192.0.2.8^$important");
  assert.deepEqual(parsed.ips?.block, ["192.0.2.8"]);
  assert.equal(parsed.invalid.count, 1);
  assert.match(parsed.invalid.examples[0].reason, /IP rule with modifiers \(\$client=/);
});

Deno.test("a list holds at most MAX_IP_ENTRIES IP entries; the rest are invalid lines", () => {
  const lines = Array.from(
    { length: MAX_IP_ENTRIES + 3 },
    (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
  const parsed = parseList(lines.join("\n"));
  assert.equal(parsed.ips?.block.length, MAX_IP_ENTRIES);
  assert.equal(parsed.invalid.count, 3);
  assert.match(parsed.invalid.examples[0].reason, /more than 65536 IP entries/);
});
