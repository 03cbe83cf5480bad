/**
 * Presentation format (RFC 1035 §5.1, RFC 3597 §5 and each type's RFC) of every type the codec
 * models, checked against the text knot's own tools print for the test zone, plus the escapes
 * and fallbacks no test-zone record exercises.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  encodeMessage,
  formatIpv6,
  parseIpv6,
  peekQuestion,
  presentName,
  presentRdata,
  type RData,
  RType,
} from "../../dns/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);
const bytes = (...values: number[]) => Uint8Array.from(values);
/** An SvcParam value of length-prefixed strings, as alpn holds them. */
const alpn = (...ids: string[]) => Uint8Array.from(ids.flatMap((id) => [id.length, ...text(id)]));

const CASES: [string, number, RData, string][] = [
  ["A", RType.A, { address: "192.0.2.1" }, "192.0.2.1"],
  ["AAAA", RType.AAAA, { address: "2001:db8::1" }, "2001:db8::1"],
  ["NS", RType.NS, { target: "ns1.test.example" }, "ns1.test.example."],
  ["CNAME", RType.CNAME, { target: "www.test.example" }, "www.test.example."],
  ["PTR to the root", RType.PTR, { target: "" }, "."],
  ["DNAME", RType.DNAME, { target: "other.example" }, "other.example."],
  ["MX", RType.MX, { preference: 10, exchange: "mail.test.example" }, "10 mail.test.example."],
  [
    "TXT with several strings",
    RType.TXT,
    { strings: [text("first string"), text("second string")] },
    '"first string" "second string"',
  ],
  [
    "TXT with quotes, backslashes and bytes outside ASCII",
    RType.TXT,
    { strings: [bytes(0x22, 0x5c, 0x41, 0x00, 0xff), new Uint8Array()] },
    '"\\"\\\\A\\000\\255" ""',
  ],
  [
    "SOA",
    RType.SOA,
    {
      mname: "ns1.test.example",
      rname: "hostmaster.test.example",
      serial: 2024010101,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 60,
    },
    "ns1.test.example. hostmaster.test.example. 2024010101 3600 600 86400 60",
  ],
  [
    "SRV",
    RType.SRV,
    { priority: 10, weight: 60, port: 5060, target: "www.test.example" },
    "10 60 5060 www.test.example.",
  ],
  [
    "CAA",
    RType.CAA,
    { flags: 0, tag: "issue", value: text("letsencrypt.org") },
    '0 issue "letsencrypt.org"',
  ],
  [
    "HTTPS with alpn, port and ipv4hint",
    RType.HTTPS,
    {
      priority: 1,
      target: "",
      params: [
        { key: 1, value: alpn("h2", "h3") },
        { key: 3, value: bytes(0x01, 0xbb) },
        { key: 4, value: bytes(127, 0, 0, 1, 192, 0, 2, 1) },
      ],
    },
    "1 . alpn=h2,h3 port=443 ipv4hint=127.0.0.1,192.0.2.1",
  ],
  [
    "SVCB with every other key, an unknown key and a malformed port",
    RType.SVCB,
    {
      priority: 2,
      target: "svc.example",
      params: [
        { key: 0, value: bytes(0, 1, 0, 3) },
        { key: 2, value: new Uint8Array() },
        { key: 3, value: bytes(1) },
        { key: 5, value: bytes(1, 2, 3) },
        { key: 6, value: Uint8Array.from([0x20, 1, 0x0d, 0xb8, ...new Array(11).fill(0), 1]) },
        { key: 7, value: text("/q{?dns}") },
        { key: 8, value: new Uint8Array() },
        { key: 667, value: text('a b"') },
        { key: 668, value: new Uint8Array() },
      ],
    },
    '2 svc.example. mandatory=alpn,port no-default-alpn key3=\\001 ech=AQID ipv6hint=2001:db8::1 dohpath=/q{?dns} ohttp key667=a\\032b\\" key668',
  ],
  [
    "SVCB alpn ids with a comma and a backslash",
    RType.SVCB,
    { priority: 1, target: "", params: [{ key: 1, value: alpn("a,b", "c\\") }] },
    "1 . alpn=a\\\\,b,c\\\\\\\\",
  ],
  [
    "DS",
    RType.DS,
    { keyTag: 12345, algorithm: 13, digestType: 2, digest: bytes(0xab, 0x01) },
    "12345 13 2 AB01",
  ],
  [
    "DNSKEY",
    RType.DNSKEY,
    { flags: 257, protocol: 3, algorithm: 13, publicKey: bytes(1, 2, 3, 4) },
    "257 3 13 AQIDBA==",
  ],
  [
    "RRSIG",
    RType.RRSIG,
    {
      typeCovered: RType.SOA,
      algorithm: 13,
      labels: 2,
      originalTtl: 300,
      expiration: Date.UTC(2030, 0, 1) / 1000,
      inception: Date.UTC(2024, 0, 1, 12, 30, 5) / 1000,
      keyTag: 12345,
      signerName: "test.example",
      signature: bytes(0xff, 0xfe),
    },
    "SOA 13 2 300 20300101000000 20240101123005 12345 test.example. //4=",
  ],
  [
    "NSEC with a type without a name",
    RType.NSEC,
    { nextName: "_sip._tcp.test.example", types: [1, 2, 6, 46, 47, 257, 65280] },
    "_sip._tcp.test.example. A NS SOA RRSIG NSEC CAA TYPE65280",
  ],
  ["an unknown type (RFC 3597)", 65280, { bytes: bytes(0x0a, 0x0b, 0x0c, 0x0d) }, "\\# 4 0A0B0C0D"],
  ["an unknown type with empty rdata", 65281, { bytes: new Uint8Array() }, "\\# 0"],
  ["HINFO, which travels opaque", RType.HINFO, { bytes: bytes(1, 0x41, 0) }, "\\# 3 014100"],
];

for (const [title, type, data, expected] of CASES) {
  Deno.test(`presentRdata() writes ${title} as a zone file would`, () => {
    assert.equal(presentRdata(type, data), expected);
  });
}

Deno.test("presentName() qualifies names with a dot and keeps their escapes", () => {
  assert.equal(presentName("www.example"), "www.example.");
  assert.equal(presentName(""), ".");
  assert.equal(presentName("a\\.b.example"), "a\\.b.example.");
});

Deno.test("names read off the wire print every zone-file special character escaped", () => {
  // One label with ; ( ) " @ $, a space, a backslash, a dot and a control byte, as wire bytes.
  const label = Uint8Array.from([...text('a;()"@$ \\.'), 7]);
  const wire = Uint8Array.from([
    ...[0, 0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    label.length,
    ...label,
    4,
    ...text("test"),
    0,
    ...[0, 1, 0, 1],
  ]);
  const name = decodeMessage(wire).questions[0].name;
  const printed = 'a\\;\\(\\)\\"\\@\\$\\032\\\\\\.\\007.test.';
  assert.equal(presentName(name), printed);
  // Read back as a zone file would (here: the encoder), it is the same name.
  const again = encodeMessage(decodeMessage(wire));
  assert.deepEqual(again, wire);
  assert.equal(peekQuestion(wire).question!.name, name, "the canonical form escapes alike");
});

Deno.test("an IPv4-mapped IPv6 address prints as ::ffff:192.0.2.1 (RFC 5952 §5), others in hex", () => {
  const v6 = (...tail: number[]) =>
    Uint8Array.from([...new Array(16 - tail.length).fill(0), ...tail]);
  assert.equal(formatIpv6(v6(0xff, 0xff, 192, 0, 2, 1)), "::ffff:192.0.2.1");
  assert.equal(formatIpv6(v6(0xff, 0xff, 0, 0, 0, 0)), "::ffff:0.0.0.0");
  // Not mapped: IPv4-compatible (deprecated), RFC 2765 translated, NAT64: hex groups.
  assert.equal(formatIpv6(v6(192, 0, 2, 1)), "::c000:201");
  assert.equal(formatIpv6(v6(0xff, 0xff, 0, 0, 192, 0, 2, 1)), "::ffff:0:c000:201");
  assert.equal(
    formatIpv6(Uint8Array.from([0, 0x64, 0xff, 0x9b, ...new Array(8).fill(0), 192, 0, 2, 1])),
    "64:ff9b::c000:201",
  );
  assert.deepEqual(parseIpv6("::ffff:192.0.2.1"), v6(0xff, 0xff, 192, 0, 2, 1));
});
