import assert from "node:assert/strict";
import { CidrSet, parseAddress, parseCidr, privateRange } from "../../net/cidr.ts";

const set = (...texts: string[]) =>
  new CidrSet(texts.map((text) => {
    const cidr = parseCidr(text);
    assert.ok(cidr, `${text} should parse`);
    return cidr;
  }));

Deno.test("CidrSet matches IPv4 addresses inside a prefix and not outside it", () => {
  const lan = set("192.168.0.0/16", "10.1.2.0/23", "203.0.113.7");
  for (
    const inside of ["192.168.0.1", "192.168.255.255", "10.1.2.9", "10.1.3.254", "203.0.113.7"]
  ) {
    assert.ok(lan.has(inside), inside);
  }
  for (const outside of ["192.169.0.1", "10.1.4.1", "10.1.1.255", "203.0.113.8", "8.8.8.8"]) {
    assert.ok(!lan.has(outside), outside);
  }
});

Deno.test("CidrSet matches IPv6 addresses, compressed or not, on prefixes that end mid-byte", () => {
  const v6 = set("2001:db8::/32", "fd00:1234:5670::/44", "::1");
  assert.ok(v6.has("2001:db8::1"));
  assert.ok(v6.has("2001:0db8:ffff:0:0:0:0:1"));
  assert.ok(!v6.has("2001:db9::1"));
  assert.ok(v6.has("fd00:1234:567f:ffff::1"));
  assert.ok(!v6.has("fd00:1234:5680::1"));
  assert.ok(v6.has("::1"));
  assert.ok(v6.has("[::1]"));
  assert.ok(v6.has("fe80::1%eth0") === false);
});

Deno.test("CidrSet matches an IPv4 client seen through a dual-stack socket as ::ffff:a.b.c.d", () => {
  const lan = set("192.0.2.0/24");
  assert.ok(lan.has("::ffff:192.0.2.10"));
  assert.ok(lan.has("::ffff:c000:20a"));
  assert.ok(!lan.has("::ffff:192.0.3.10"));
  assert.ok(!set("::/0").has("not an address"));
  assert.ok(set("0.0.0.0/0").has("198.51.100.1"));
  assert.ok(!set("0.0.0.0/0").has("2001:db8::1"), "an IPv4 range holds no IPv6 address");
});

Deno.test("parseCidr() clears host bits and rejects what is not a range", () => {
  assert.deepEqual(parseCidr("10.9.8.7/8")?.bytes, parseAddress("10.0.0.0"));
  assert.equal(parseCidr("10.0.0.0/8")?.bits, 96 + 8);
  assert.equal(parseCidr("2001:db8::/32")?.bits, 32);
  for (
    const bad of [
      "10.0.0.0/33",
      "2001:db8::/129",
      "300.1.1.1",
      "10.0.0/8",
      "1::2::3",
      "x",
      "",
      "10.0.0.0/8/9",
      "1.2.3.4/-1",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
    ]
  ) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

Deno.test("parseAddress() reads IPv6 with an embedded IPv4 tail and every spelling of zero", () => {
  assert.deepEqual([...parseAddress("::")!], new Array(16).fill(0));
  assert.deepEqual([...parseAddress("64:ff9b::192.0.2.1")!].slice(12), [192, 0, 2, 1]);
  assert.deepEqual([...parseAddress("1:2:3:4:5:6:7:8")!], [
    0,
    1,
    0,
    2,
    0,
    3,
    0,
    4,
    0,
    5,
    0,
    6,
    0,
    7,
    0,
    8,
  ]);
});

const rangeOf = (address: string) => privateRange(parseAddress(address)!, 0);

Deno.test("privateRange: private, loopback, link-local, unique-local and unspecified addresses are refused", () => {
  const cases: [string, string][] = [
    ["10.1.2.3", "10.0.0.0/8"],
    ["172.16.0.1", "172.16.0.0/12"],
    ["172.31.255.255", "172.16.0.0/12"],
    ["192.168.1.1", "192.168.0.0/16"],
    ["127.0.0.1", "127.0.0.0/8"],
    ["127.9.9.9", "127.0.0.0/8"],
    ["169.254.169.254", "169.254.0.0/16"],
    ["0.0.0.0", "0.0.0.0/8"],
    ["::", "::/128"],
    ["::1", "::1/128"],
    ["fe80::1", "fe80::/10"],
    ["febf::1", "fe80::/10"],
    ["fc00::1", "fc00::/7"],
    ["fd12:3456::1", "fc00::/7"],
    ["::ffff:10.0.0.1", "10.0.0.0/8"],
    ["::ffff:127.0.0.1", "127.0.0.0/8"],
  ];
  for (const [address, range] of cases) assert.equal(rangeOf(address), range, address);
});

Deno.test("privateRange: public addresses and CGNAT's shared space pass", () => {
  for (
    const address of [
      "192.0.2.7",
      "8.8.8.8",
      "172.15.255.255",
      "172.32.0.0",
      "100.64.0.1",
      "11.0.0.1",
      "2001:db8::1",
      "fec0::1",
      "::2",
      "::ffff:192.0.2.1",
    ]
  ) {
    assert.equal(rangeOf(address), undefined, address);
  }
});
