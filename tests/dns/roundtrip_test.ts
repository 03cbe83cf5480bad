/**
 * One message per record type (and per EDNS option, header flag and name limit) through
 * encode → decode → encode: the decoded message equals the input and the bytes are stable.
 */
import assert from "node:assert/strict";
import {
  decodeClientSubnet,
  decodeExtendedError,
  decodeMessage,
  DnsWireError,
  EdnsOptionCode,
  encodeClientSubnet,
  encodeExtendedError,
  encodeMessage,
  type Message,
  RClass,
  type ResourceRecord,
  RType,
} from "../../dns/mod.ts";
import { queryMessage } from "../support/dns_query.ts";

const text = (value: string) => new TextEncoder().encode(value);

function record(type: number, data: ResourceRecord["data"], name = "test.example"): ResourceRecord {
  return { name, type, class: RClass.IN, ttl: 3600, data };
}

function answerWith(records: ResourceRecord[], edns?: Message["edns"]): Message {
  const query = queryMessage(records[0]?.name ?? "test.example", records[0]?.type ?? RType.A);
  return {
    ...query,
    header: { ...query.header, id: 0xbeef, response: true, recursionAvailable: true },
    answers: records,
    edns,
  };
}

/** Encode, decode, compare; encode the decoded message again and compare the bytes. */
function roundTrip(message: Message): Uint8Array {
  const wire = encodeMessage(message);
  const decoded = decodeMessage(wire);
  const expected = message.edns === undefined ? { ...message, edns: undefined } : message;
  assert.deepEqual({ ...decoded, edns: decoded.edns }, expected);
  assert.deepEqual(encodeMessage(decoded), wire);
  return wire;
}

const svcParams = [
  { key: 0, value: new Uint8Array([0, 1, 0, 3]) }, // mandatory: alpn, port
  { key: 1, value: new Uint8Array([2, ...text("h2"), 2, ...text("h3")]) }, // alpn
  { key: 3, value: new Uint8Array([0x01, 0xbb]) }, // port 443
  { key: 4, value: new Uint8Array([192, 0, 2, 1, 192, 0, 2, 2]) }, // ipv4hint
  { key: 5, value: new Uint8Array([0xfe, 0x0d, 1, 2, 3]) }, // ech
  { key: 6, value: new Uint8Array(16).fill(0x20) }, // ipv6hint
  { key: 65000, value: text("private use") },
];

const CASES: [string, ResourceRecord[]][] = [
  ["A", [record(RType.A, { address: "192.0.2.1" }), record(RType.A, { address: "0.0.0.0" })]],
  ["AAAA", [
    record(RType.AAAA, { address: "2001:db8::1" }),
    record(RType.AAAA, { address: "::" }),
    record(RType.AAAA, { address: "::ffff:c000:201" }),
    record(RType.AAAA, { address: "2001:db8:1:2:3:4:5:6" }),
  ]],
  ["CNAME", [record(RType.CNAME, { target: "www.test.example" }, "alias.test.example")]],
  ["NS", [record(RType.NS, { target: "ns1.test.example" }), record(RType.NS, { target: "" })]],
  ["PTR", [record(RType.PTR, { target: "host.test.example" }, "1.2.0.192.in-addr.arpa")]],
  ["MX", [record(RType.MX, { preference: 10, exchange: "mail.test.example" })]],
  ["TXT", [
    record(RType.TXT, { strings: [text("v=spf1 -all")] }),
    record(RType.TXT, { strings: [text("first"), new Uint8Array(0), text("third")] }),
    record(RType.TXT, { strings: [new Uint8Array(255).fill(0x61), new Uint8Array([0, 1, 255])] }),
  ]],
  ["SOA", [record(RType.SOA, {
    mname: "ns1.test.example",
    rname: "hostmaster.test.example",
    serial: 4294967295,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 60,
  })]],
  ["SRV", [record(
    RType.SRV,
    { priority: 10, weight: 60, port: 5060, target: "sip.test.example" },
    "_sip._tcp.test.example",
  )]],
  ["CAA", [
    record(RType.CAA, { flags: 0, tag: "issue", value: text("letsencrypt.org") }),
    record(RType.CAA, { flags: 128, tag: "iodef", value: text("mailto:a@test.example") }),
  ]],
  ["HTTPS", [
    record(RType.HTTPS, { priority: 1, target: "", params: svcParams }),
    record(RType.HTTPS, { priority: 0, target: "pool.test.example", params: [] }),
  ]],
  ["SVCB", [record(RType.SVCB, { priority: 2, target: "svc.test.example", params: svcParams })]],
  ["DS", [record(RType.DS, {
    keyTag: 12345,
    algorithm: 13,
    digestType: 2,
    digest: new Uint8Array(32).fill(0xab),
  })]],
  ["DNSKEY", [record(RType.DNSKEY, {
    flags: 257,
    protocol: 3,
    algorithm: 13,
    publicKey: Uint8Array.from({ length: 64 }, (_, i) => i),
  })]],
  ["RRSIG", [record(RType.RRSIG, {
    typeCovered: RType.SOA,
    algorithm: 13,
    labels: 2,
    originalTtl: 300,
    expiration: 1893456000,
    inception: 1704067200,
    keyTag: 12345,
    signerName: "test.example",
    signature: Uint8Array.from({ length: 64 }, (_, i) => 255 - i),
  })]],
  ["NSEC", [record(RType.NSEC, {
    nextName: "_sip._tcp.test.example",
    types: [RType.A, RType.NS, RType.SOA, RType.MX, RType.TXT, RType.RRSIG, RType.NSEC, 65280],
  })]],
  ["unknown type (RFC 3597)", [
    record(65280, { bytes: new Uint8Array([10, 11, 12, 13]) }),
    record(65280, { bytes: new Uint8Array(0) }),
  ]],
];

for (const [label, records] of CASES) {
  Deno.test(`${label} records round-trip`, () => {
    roundTrip(answerWith(records));
  });
}

Deno.test("EDNS options round-trip: client subnet v4/v6, cookie, padding, extended error", () => {
  const v4 = encodeClientSubnet({
    family: 1,
    sourcePrefix: 24,
    scopePrefix: 0,
    address: new Uint8Array([192, 0, 2]),
  });
  const v6 = encodeClientSubnet({
    family: 2,
    sourcePrefix: 56,
    scopePrefix: 48,
    address: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 1]),
  });
  const options = [
    v4,
    v6,
    { code: EdnsOptionCode.COOKIE, data: Uint8Array.from({ length: 24 }, (_, i) => i) },
    { code: EdnsOptionCode.PADDING, data: new Uint8Array(37) },
    encodeExtendedError({ infoCode: 15, text: "Blocked (ads list)" }),
    encodeExtendedError({ infoCode: 22 }),
  ];
  const message = answerWith([record(RType.A, { address: "192.0.2.1" })], {
    udpSize: 1232,
    version: 0,
    dnssecOk: true,
    flags: 0,
    options,
  });
  const decoded = decodeMessage(roundTrip(message));
  const ecs = decoded.edns!.options.filter((o) => o.code === EdnsOptionCode.CLIENT_SUBNET);
  assert.deepEqual(decodeClientSubnet(ecs[1].data), {
    family: 2,
    sourcePrefix: 56,
    scopePrefix: 48,
    address: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 1]),
  });
  const ede = decoded.edns!.options.filter((o) => o.code === EdnsOptionCode.EXTENDED_ERROR);
  assert.deepEqual(decodeExtendedError(ede[0].data), { infoCode: 15, text: "Blocked (ads list)" });
  assert.equal(decodeExtendedError(ede[1].data).infoCode, 22);
});

Deno.test("every header flag and opcode round-trips set and unset; extended rcode via OPT", () => {
  const base = answerWith([]);
  const flags = [
    "response",
    "authoritative",
    "truncated",
    "recursionDesired",
    "recursionAvailable",
    "zero",
    "authenticData",
    "checkingDisabled",
  ] as const;
  for (const flag of flags) {
    for (const value of [true, false]) {
      roundTrip({ ...base, header: { ...base.header, [flag]: value } });
    }
  }
  for (const opcode of [0, 1, 2, 4, 5, 15]) {
    roundTrip({ ...base, header: { ...base.header, opcode } });
  }
  for (const rcode of [0, 1, 2, 3, 4, 5, 15]) {
    roundTrip({ ...base, header: { ...base.header, rcode } });
  }
  const edns = { udpSize: 4096, version: 0, dnssecOk: false, flags: 0, options: [] };
  const badvers = decodeMessage(
    roundTrip({ ...base, header: { ...base.header, rcode: 16 }, edns }),
  );
  assert.equal(badvers.header.rcode, 16);
  assert.throws(
    () => encodeMessage({ ...base, header: { ...base.header, rcode: 16 } }),
    DnsWireError,
  );
});

Deno.test("names are compressed on encode: repeated owners cost two bytes each", () => {
  const name = "a-rather-long-label.another-long-label.test.example";
  const records = Array.from(
    { length: 10 },
    (_, i) => record(RType.A, { address: `192.0.2.${i}` }, name),
  );
  const wire = roundTrip(answerWith(records));
  // Header 12 + question (name 53 + 4) + 10 × (pointer 2 + 10 fixed + 4 address).
  assert.equal(wire.length, 12 + 53 + 4 + 10 * 16);
  // Suffix sharing: a sibling name costs its first label plus a pointer.
  const sibling = answerWith([record(RType.CNAME, { target: `x.${name}` }, name)]);
  // Owner pointer 2 + fixed 10 + rdata ("x" label 2 + pointer 2).
  assert.equal(roundTrip(sibling).length, 12 + 53 + 4 + 2 + 10 + 2 + 2);
});

Deno.test("names decode to lowercase canonical form and escaped labels round-trip", () => {
  const message = answerWith([record(RType.TXT, { strings: [text("x")] }, "WWW.Test.Example")]);
  const decoded = decodeMessage(encodeMessage(message));
  assert.equal(decoded.answers[0].name, "www.test.example");
  const escaped = answerWith([
    record(RType.A, { address: "192.0.2.1" }, "a\\.b.c\\032d\\\\e.test"),
  ]);
  assert.equal(decodeMessage(encodeMessage(escaped)).answers[0].name, "a\\.b.c\\032d\\\\e.test");
});

Deno.test("names at the limits (63-octet label, 255-octet name) work; one more is refused", () => {
  const label63 = "a".repeat(63);
  const longest = [label63, label63, label63, "b".repeat(61)].join("."); // 255 octets on the wire
  roundTrip(answerWith([record(RType.A, { address: "192.0.2.1" }, longest)]));
  roundTrip(answerWith([record(RType.A, { address: "192.0.2.1" }, label63)]));
  const tooLongLabel = answerWith([record(RType.A, { address: "192.0.2.1" }, "a".repeat(64))]);
  assert.throws(() => encodeMessage(tooLongLabel), /label longer than 63 octets/);
  const tooLongName = answerWith([record(RType.A, { address: "192.0.2.1" }, `${longest}x`)]);
  assert.throws(() => encodeMessage(tooLongName), /name longer than 255 octets/);
});

Deno.test("bad values are refused on encode with DnsWireError", () => {
  const bad: [ResourceRecord, RegExp][] = [
    [record(RType.A, { address: "256.0.0.1" }), /not an IPv4 address/],
    [record(RType.AAAA, { address: "2001:db8::g" }), /not an IPv6 address/],
    [record(RType.TXT, { strings: [new Uint8Array(256)] }), /character-string longer than 255/],
    [record(RType.A, { address: "192.0.2.1" }, "a..b"), /empty label/],
  ];
  for (const [rr, expected] of bad) {
    assert.throws(() => encodeMessage(answerWith([rr])), (error: Error) => {
      assert.ok(error instanceof DnsWireError);
      assert.match(error.message, expected);
      return true;
    });
  }
});
