import assert from "node:assert/strict";
import { parseCidr } from "../../net/cidr.ts";
import { CidrMap } from "../../net/cidr_map.ts";

const map = (...entries: [string, string][]) =>
  new CidrMap(entries.map(([text, value]) => [parseCidr(text)!, value] as const));

Deno.test("the most specific range wins, whatever the order they were given in", () => {
  const ranges = map(
    ["10.0.0.0/8", "wide"],
    ["10.1.2.3", "host"],
    ["10.1.0.0/16", "middle"],
    ["2001:db8::/32", "v6"],
    ["2001:db8:1::/48", "v6 narrow"],
  );
  assert.equal(ranges.get("10.1.2.3"), "host");
  assert.equal(ranges.get("10.1.9.9"), "middle");
  assert.equal(ranges.get("10.200.0.1"), "wide");
  assert.equal(ranges.get("::ffff:10.1.2.3"), "host", "a dual-stack socket's form");
  assert.equal(ranges.get("2001:db8:1::5"), "v6 narrow");
  assert.equal(ranges.get("2001:db8:2::5"), "v6");
  assert.equal(ranges.get("192.0.2.1"), undefined);
  assert.equal(ranges.get("not an address"), undefined);
  assert.equal(ranges.get(""), undefined);
  // Asked again: the remembered answers are the same.
  assert.equal(ranges.get("10.1.9.9"), "middle");
  assert.equal(ranges.get("192.0.2.1"), undefined);
});

Deno.test("prefixes that end inside a byte match only their bits; an empty map answers nothing", () => {
  const ranges = map(["192.0.2.128/25", "upper"], ["192.0.2.0/26", "lowest"]);
  assert.equal(ranges.get("192.0.2.200"), "upper");
  assert.equal(ranges.get("192.0.2.10"), "lowest");
  assert.equal(ranges.get("192.0.2.100"), undefined);
  const empty = map();
  assert.equal(empty.empty, true);
  assert.equal(empty.get("192.0.2.1"), undefined);
});

Deno.test("the remembered answers are bounded: many addresses stay right", () => {
  const ranges = map(["10.0.0.0/8", "ten"]);
  for (let i = 0; i < 10_000; i++) {
    const address = `10.${(i >> 8) & 255}.${i & 255}.1`;
    assert.equal(ranges.get(address), "ten");
  }
  assert.equal(ranges.get("11.0.0.1"), undefined);
});
