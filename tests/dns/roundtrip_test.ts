/**
 * One message per record type (and per EDNS option, header flag and name limit) through
 * encode → decode → encode → decode. A round trip alone cannot catch a mistake made the same
 * way in both directions (two fields swapped on encode and on decode), so every type case also
 * pins its rdata bytes, and every flag its bit in the header.
 */
import assert from "node:assert/strict";
import {
  decodeClientSubnet,
  decodeExtendedError,
  decodeMessage,
  DnsWireError,
  type Edns,
  EdnsOptionCode,
  encodeClientSubnet,
  encodeExtendedError,
  encodeMessage,
  type Message,
  RClass,
  Rcode,
  type ResourceRecord,
  RType,
} from "../../dns/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const hexText = (value: string) => hex(text(value));
/** Wire form of an uncompressed name, as hex: "a.bc" → "0161026263" + "00". */
const wireName = (name: string) =>
  name.split(".").map((label) => label.length.toString(16).padStart(2, "0") + hexText(label))
    .join("") + "00";

const OWNER = "test.example";
/** Where the question name's labels sit, for the pointers the expected rdata holds. */
const PTR_OWNER = "c00c"; // "test.example" at byte 12
const PTR_EXAMPLE = "c011"; // "example" at byte 17
/** Header 12 + question (name 14 + 4) + answer owner pointer 2 + type/class/TTL/RDLENGTH 10. */
const FIRST_RDATA = 12 + 14 + 4 + 2 + 10;

function record(type: number, data: ResourceRecord["data"], name = OWNER): ResourceRecord {
  return { name, type, class: RClass.IN, ttl: 3600, data };
}

const NO_FLAGS: Message["header"] = {
  id: 0,
  response: false,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: false,
  recursionAvailable: false,
  zero: false,
  authenticData: false,
  checkingDisabled: false,
  rcode: 0,
};

function answerWith(answers: ResourceRecord[], edns?: Edns): Message {
  return {
    header: { ...NO_FLAGS, id: 0xbeef, response: true, recursionDesired: true },
    questions: [{ name: OWNER, type: answers[0]?.type ?? RType.A, class: RClass.IN }],
    answers,
    authorities: [],
    additionals: [],
    ...(edns ? { edns } : {}),
  };
}

/**
 * encode → decode equals the input; decode(encode(decoded)) equals the decoded message and
 * re-encodes to the very same bytes. Returns the wire form.
 */
function roundTrip(message: Message): Uint8Array {
  const wire = encodeMessage(message);
  const decoded = decodeMessage(wire);
  assert.deepEqual(decoded, message);
  const again = encodeMessage(decoded);
  assert.deepEqual(decodeMessage(again), decoded);
  assert.deepEqual(again, wire);
  return wire;
}

const ALPN = new Uint8Array([2, ...text("h2"), 2, ...text("h3")]);
const V6 = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
const SVC_PARAMS = [
  { key: 0, value: new Uint8Array([0, 1, 0, 3]) }, // mandatory: alpn, port
  { key: 1, value: ALPN }, // alpn
  { key: 3, value: new Uint8Array([0x01, 0xbb]) }, // port 443
  { key: 4, value: new Uint8Array([192, 0, 2, 1, 192, 0, 2, 2]) }, // ipv4hint
  { key: 5, value: new Uint8Array([0xfe, 0x0d, 1, 2, 3]) }, // ech (an ECHConfigList, opaque here)
  { key: 6, value: V6 }, // ipv6hint
  { key: 65000, value: text("private use") }, // a key nobody registered
];
const SVC_PARAMS_HEX = "0000000400010003" + "00010006" + hex(ALPN) + "0003000201bb" +
  "00040008c0000201c0000202" + "00050005fe0d010203" + "00060010" + hex(V6) + "fde8000b" +
  hexText("private use");

const TXT_255 = new Uint8Array(255).fill(0x61);
const DIGEST = new Uint8Array(32).fill(0xab);
const KEY = Uint8Array.from({ length: 64 }, (_, i) => i);
const SIGNATURE = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);

/**
 * [label, the record whose rdata bytes are pinned, its rdata as hex, more records of the type
 * that only need to round-trip]. Compressible names (RFC 1035 types) point back into the
 * question; SRV, SVCB, RRSIG, NSEC and DNAME targets must be written whole.
 */
const CASES: [string, ResourceRecord, string, ResourceRecord[]][] = [
  ["A", record(RType.A, { address: "192.0.2.1" }), "c0000201", [
    record(RType.A, { address: "0.0.0.0" }),
    record(RType.A, { address: "255.255.255.255" }),
  ]],
  ["AAAA", record(RType.AAAA, { address: "2001:db8::1" }), hex(V6), [
    record(RType.AAAA, { address: "::" }),
    record(RType.AAAA, { address: "::ffff:192.0.2.1" }),
    record(RType.AAAA, { address: "2001:db8:1:2:3:4:5:6" }),
    record(RType.AAAA, { address: "2001:db8::1:0:0:1" }),
  ]],
  [
    "CNAME",
    record(RType.CNAME, { target: "www.test.example" }),
    "03" + hexText("www") + PTR_OWNER,
    [],
  ],
  ["NS", record(RType.NS, { target: "ns1.test.example" }), "03" + hexText("ns1") + PTR_OWNER, [
    record(RType.NS, { target: "" }),
  ]],
  ["PTR", record(RType.PTR, { target: "host.example" }), "04" + hexText("host") + PTR_EXAMPLE, [
    record(RType.PTR, { target: "host.test.example" }, "1.2.0.192.in-addr.arpa"),
  ]],
  [
    "MX",
    record(RType.MX, { preference: 10, exchange: "mail.test.example" }),
    "000a04" + hexText("mail") + PTR_OWNER,
    [record(RType.MX, { preference: 0, exchange: "" })],
  ],
  [
    "TXT (several strings, an empty one, one of 255 bytes)",
    record(RType.TXT, { strings: [text("v=spf1 -all"), new Uint8Array(0), TXT_255] }),
    "0b" + hexText("v=spf1 -all") + "00" + "ff" + "61".repeat(255),
    [
      record(RType.TXT, { strings: [new Uint8Array(0)] }),
      record(RType.TXT, { strings: [new Uint8Array([0, 1, 0x22, 0x5c, 255])] }),
    ],
  ],
  [
    "SOA",
    record(RType.SOA, {
      mname: "ns1.test.example",
      rname: "hostmaster.test.example",
      serial: 4294967295,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 60,
    }),
    "03" + hexText("ns1") + PTR_OWNER + "0a" + hexText("hostmaster") + PTR_OWNER +
    "ffffffff" + "00000e10" + "00000258" + "00015180" + "0000003c",
    [],
  ],
  [
    "SRV",
    record(RType.SRV, { priority: 10, weight: 60, port: 5060, target: "sip.test.example" }),
    "000a003c13c4" + wireName("sip.test.example"),
    [record(RType.SRV, { priority: 0, weight: 0, port: 0, target: "" }, "_sip._tcp.test.example")],
  ],
  [
    "CAA",
    record(RType.CAA, { flags: 128, tag: "issue", value: text("letsencrypt.org") }),
    "8005" + hexText("issue") + hexText("letsencrypt.org"),
    [
      record(RType.CAA, { flags: 0, tag: "iodef", value: text("mailto:a@test.example") }),
      record(RType.CAA, { flags: 0, tag: "issuewild", value: new Uint8Array(0) }),
    ],
  ],
  [
    "HTTPS (alpn, port, ipv4hint, ipv6hint, ech, mandatory, an unknown key)",
    record(RType.HTTPS, { priority: 1, target: "", params: SVC_PARAMS }),
    "000100" + SVC_PARAMS_HEX,
    [record(RType.HTTPS, { priority: 0, target: "pool.test.example", params: [] })],
  ],
  [
    "SVCB (the same parameters, a target name)",
    record(RType.SVCB, { priority: 2, target: "svc.test.example", params: SVC_PARAMS }),
    "0002" + wireName("svc.test.example") + SVC_PARAMS_HEX,
    [],
  ],
  [
    "DS",
    record(RType.DS, { keyTag: 12345, algorithm: 13, digestType: 2, digest: DIGEST }),
    "30390d02" + hex(DIGEST),
    [],
  ],
  [
    "DNSKEY",
    record(RType.DNSKEY, { flags: 257, protocol: 3, algorithm: 13, publicKey: KEY }),
    "0101030d" + hex(KEY),
    [],
  ],
  [
    "RRSIG",
    record(RType.RRSIG, {
      typeCovered: RType.SOA,
      algorithm: 13,
      labels: 2,
      originalTtl: 300,
      expiration: 1893456000,
      inception: 1704067200,
      keyTag: 12345,
      signerName: "test.example",
      signature: SIGNATURE,
    }),
    "00060d020000012c70dbd880659200803039" + wireName("test.example") + hex(SIGNATURE),
    [],
  ],
  [
    "NSEC",
    record(RType.NSEC, {
      nextName: "host.test.example",
      types: [1, 2, 6, 15, 16, 28, 46, 47, 65280],
    }),
    // Window 0: bits 1 2 6 | 15 | 16 | 28 | - | 46 47; window 255: bit 0.
    wireName("host.test.example") + "0006" + "620180080003" + "ff0180",
    [record(RType.NSEC, { nextName: "", types: [] })],
  ],
  [
    "DNAME",
    record(RType.DNAME, { target: "other.example" }),
    wireName("other.example"),
    [],
  ],
  [
    "unknown type 65280 (RFC 3597, opaque)",
    record(65280, { bytes: new Uint8Array([10, 11, 12, 13]) }),
    "0a0b0c0d",
    [record(65280, { bytes: new Uint8Array(0) })],
  ],
];

for (const [label, pinned, rdataHex, more] of CASES) {
  Deno.test(`${label} records round-trip and have the expected rdata bytes`, () => {
    const wire = roundTrip(answerWith([pinned]));
    const length = (wire[FIRST_RDATA - 2] << 8) | wire[FIRST_RDATA - 1];
    assert.equal(hex(wire.subarray(FIRST_RDATA, FIRST_RDATA + length)), rdataHex);
    assert.equal(wire.length, FIRST_RDATA + length);
    roundTrip(answerWith([pinned, ...more]));
    for (const other of more) roundTrip(answerWith([other]));
  });
}

const ECS_V4 = {
  family: 1,
  sourcePrefix: 24,
  scopePrefix: 0,
  address: new Uint8Array([192, 0, 2]),
};
const ECS_V6 = {
  family: 2,
  sourcePrefix: 56,
  scopePrefix: 48,
  address: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 1]),
};

function ednsWith(options: Edns["options"]): Edns {
  return { udpSize: 1232, version: 0, dnssecOk: true, flags: 0, options };
}

const EDNS_CASES: [string, Edns["options"], string][] = [
  ["no options", [], ""],
  ["client subnet, IPv4", [encodeClientSubnet(ECS_V4)], "00080007" + "00011800c00002"],
  [
    "client subnet, IPv6",
    [encodeClientSubnet(ECS_V6)],
    "0008000b" + "00023830" + hex(ECS_V6.address),
  ],
  [
    "cookie (client and server parts)",
    [{ code: EdnsOptionCode.COOKIE, data: Uint8Array.from({ length: 24 }, (_, i) => i) }],
    "000a0018" + hex(Uint8Array.from({ length: 24 }, (_, i) => i)),
  ],
  [
    "padding",
    [{ code: EdnsOptionCode.PADDING, data: new Uint8Array(5) }],
    "000c0005" + "00".repeat(5),
  ],
  [
    "extended error with text",
    [encodeExtendedError({ infoCode: 15, text: "Blocked (ads)" })],
    "000f000f" + "000f" + hexText("Blocked (ads)"),
  ],
  ["extended error without text", [encodeExtendedError({ infoCode: 22 })], "000f0002" + "0016"],
];

for (const [label, options, optionsHex] of EDNS_CASES) {
  Deno.test(`EDNS OPT with ${label} round-trips as the last additional record`, () => {
    const wire = roundTrip(
      answerWith([record(RType.A, { address: "192.0.2.1" })], ednsWith(options)),
    );
    // Root owner, type 41, CLASS = UDP size 1232, TTL = ext rcode 0, version 0, DO, RDLENGTH.
    const rdlength = optionsHex.length / 2;
    const optHex = "00" + "0029" + "04d0" + "00008000" + rdlength.toString(16).padStart(4, "0");
    assert.equal(hex(wire.subarray(wire.length - 11 - rdlength)), optHex + optionsHex);
    assert.equal((wire[10] << 8) | wire[11], 1, "ARCOUNT counts the OPT record");
  });
}

Deno.test("EDNS option payloads decode to what was encoded (ECS v4/v6, EDE with/without text)", () => {
  const all = [
    encodeClientSubnet(ECS_V4),
    encodeClientSubnet(ECS_V6),
    encodeExtendedError({ infoCode: 15, text: "Blocked (ads)" }),
    encodeExtendedError({ infoCode: 22 }),
    { code: EdnsOptionCode.PADDING, data: new Uint8Array(0) },
    { code: 65001, data: text("local use") },
  ];
  const message = answerWith([record(RType.A, { address: "192.0.2.1" })], ednsWith(all));
  const options = decodeMessage(roundTrip(message)).edns!.options;
  assert.deepEqual(decodeClientSubnet(options[0].data), ECS_V4);
  assert.deepEqual(decodeClientSubnet(options[1].data), ECS_V6);
  assert.deepEqual(decodeExtendedError(options[2].data), { infoCode: 15, text: "Blocked (ads)" });
  assert.deepEqual(decodeExtendedError(options[3].data), { infoCode: 22 });
  // EDNS version, flags, DO bit and UDP size are carried as read.
  roundTrip(
    answerWith([], { udpSize: 512, version: 1, dnssecOk: false, flags: 0x7fff, options: [] }),
  );
  roundTrip(
    answerWith([], { udpSize: 65535, version: 255, dnssecOk: true, flags: 1, options: [] }),
  );
});

const FLAG_BITS = [
  ["response", 0x8000],
  ["authoritative", 0x0400],
  ["truncated", 0x0200],
  ["recursionDesired", 0x0100],
  ["recursionAvailable", 0x0080],
  ["zero", 0x0040],
  ["authenticData", 0x0020],
  ["checkingDisabled", 0x0010],
] as const;

const flagsWord = (wire: Uint8Array) => (wire[2] << 8) | wire[3];

function bare(header: Partial<Message["header"]>, edns?: Edns): Message {
  return {
    header: { ...NO_FLAGS, ...header },
    questions: [{ name: OWNER, type: RType.A, class: RClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    ...(edns ? { edns } : {}),
  };
}

for (const [flag, bit] of FLAG_BITS) {
  Deno.test(`header flag ${flag} round-trips set and unset, as bit 0x${bit.toString(16)}`, () => {
    assert.equal(flagsWord(roundTrip(bare({ [flag]: true }))), bit);
    assert.equal(flagsWord(roundTrip(bare({ [flag]: false }))), 0);
    // Every other flag set, this one not: the bit must be the only one missing.
    const others = Object.fromEntries(FLAG_BITS.map(([name]) => [name, name !== flag]));
    assert.equal(flagsWord(roundTrip(bare(others))), 0x87f0 & ~bit);
  });
}

Deno.test("opcodes and 4-bit rcodes round-trip in their header bits", () => {
  for (const opcode of [0, 1, 2, 4, 5, 15]) {
    assert.equal(flagsWord(roundTrip(bare({ opcode }))), opcode << 11);
  }
  for (const rcode of [0, 1, 2, 3, 4, 5, 15]) {
    assert.equal(flagsWord(roundTrip(bare({ rcode }))), rcode);
  }
});

Deno.test("an extended rcode (BADVERS=16, 4095) is split between header and OPT TTL", () => {
  const edns = ednsWith([]);
  for (const [rcode, low, high] of [[Rcode.BADVERS, 0, 1], [4095, 15, 255], [0x123, 3, 0x12]]) {
    const wire = roundTrip(bare({ response: true, rcode }, edns));
    assert.equal(flagsWord(wire) & 0xf, low);
    assert.equal(wire[wire.length - 6], high, "first byte of the OPT TTL");
    assert.equal(decodeMessage(wire).header.rcode, rcode);
  }
  assert.throws(() => encodeMessage(bare({ rcode: Rcode.BADVERS })), DnsWireError);
});

Deno.test("name compression shrinks a message with repeated names", () => {
  const name = "a-rather-long-label.another-long-label.test.example";
  const records = Array.from(
    { length: 10 },
    (_, i) => record(RType.A, { address: `192.0.2.${i}` }, name),
  );
  const message = { ...answerWith(records), questions: [{ name, type: RType.A, class: 1 }] };
  const wire = roundTrip(message);
  // Header 12 + question (name 53 + 4) + 10 × (pointer 2 + 10 fixed + 4 address).
  assert.equal(wire.length, 12 + 53 + 4 + 10 * 16);
  // Uncompressed, each owner would cost its 53 bytes: 510 more.
  assert.ok(wire.length < 12 + 57 + 10 * (53 + 14));
  // A sibling name costs its first label plus a pointer to the shared suffix.
  const sibling = {
    ...message,
    answers: [record(RType.CNAME, { target: `x.${name}` }, name)],
  };
  // Owner pointer 2 + fixed 10 + rdata ("x" label 2 + pointer 2).
  assert.equal(roundTrip(sibling).length, 12 + 53 + 4 + 2 + 10 + 2 + 2);
});

Deno.test("names keep the case they were written in, through decode and re-encode", () => {
  // RFC 4034 §6.2 lowercases only some rdata names for DNSSEC (NSEC is out since RFC 6840
  // §5.1, SVCB/HTTPS were never in): a re-encoded answer must carry every name as it came.
  const mixed: Message = {
    ...answerWith([
      record(
        RType.HTTPS,
        { priority: 0, target: "b-1._tcp.Example.ORG", params: [] },
        "WWW.Test.Example",
      ),
      record(RType.NSEC, { nextName: "Next.Example.ORG", types: [RType.A] }, "www.test.example"),
      record(RType.CNAME, { target: "Target.TEST.example" }, "WWW.Test.Example"),
    ]),
    questions: [{ name: "WWW.Test.Example", type: RType.HTTPS, class: RClass.IN }],
  };
  const wire = roundTrip(mixed);
  const decoded = decodeMessage(wire);
  assert.equal(decoded.questions[0].name, "WWW.Test.Example");
  assert.deepEqual(decoded.answers.map((r) => r.name), [
    "WWW.Test.Example",
    "www.test.example",
    "WWW.Test.Example",
  ]);
  assert.equal((decoded.answers[0].data as { target: string }).target, "b-1._tcp.Example.ORG");
  assert.equal((decoded.answers[1].data as { nextName: string }).nextName, "Next.Example.ORG");
  assert.equal((decoded.answers[2].data as { target: string }).target, "Target.TEST.example");
  // Compression points only at a suffix spelled alike: the first owner at the question, the
  // second owner (another case) written whole, the CNAME target at that owner's "example".
  assert.equal(hex(wire.subarray(34, 36)), PTR_OWNER);
  const secondOwner = hex(wire).indexOf(wireName("www.test.example")) / 2;
  assert.ok(secondOwner > 0, hex(wire));
  const pointer = (0xc000 | (secondOwner + 9)).toString(16);
  assert.ok(hex(wire).endsWith("06" + hexText("Target") + "04" + hexText("TEST") + pointer));
});

Deno.test("escaped labels (\\., \\032, \\\\, \\000, \\255) round-trip byte for byte", () => {
  const name = "a\\.b.c\\032d\\\\e.\\000\\255.test";
  const wire = roundTrip(answerWith([record(RType.A, { address: "192.0.2.1" }, name)]));
  const decoded = decodeMessage(wire);
  assert.equal(decoded.answers[0].name, name);
  // The answer owner is the first name written: labels "a.b", "c d\e", 00 ff, "test".
  const owner = "03612e62" + "05" + "6320645c65" + "0200ff" + "04" + hexText("test") + "00";
  assert.ok(hex(wire).includes(owner), hex(wire));
  // Other spellings of the same bytes decode to the one canonical text.
  const spelled = answerWith([record(RType.A, { address: "192.0.2.1" }, "a\\046b.\\099\\ d.x")]);
  assert.equal(decodeMessage(encodeMessage(spelled)).answers[0].name, "a\\.b.c\\032d.x");
});

Deno.test("names exactly at the limits (63-octet label, 255-octet name) round-trip", () => {
  const label63 = "a".repeat(63);
  const longest = [label63, label63, label63, "b".repeat(61)].join(".");
  // 3 × (1 + 63) + (1 + 61) + root 1 = 255 octets on the wire.
  const wire = roundTrip(answerWith([record(RType.A, { address: "192.0.2.1" }, longest)]));
  // Header 12 + question 18 + owner 255 + type/class/TTL/RDLENGTH 10 + address 4.
  assert.equal(wire.length, 12 + 18 + 255 + 10 + 4);
  roundTrip(answerWith([record(RType.A, { address: "192.0.2.1" }, label63)]));
  // Escapes count as the byte they stand for: 63 octets written as 2 characters each.
  roundTrip(answerWith([record(RType.A, { address: "192.0.2.1" }, "\\.".repeat(63))]));
});

Deno.test("a name one octet over a limit is refused on encode with DnsWireError", () => {
  const label63 = "a".repeat(63);
  const over = [
    "a".repeat(64),
    "\\046".repeat(64),
    [label63, label63, label63, "b".repeat(62)].join("."),
    [label63, label63, label63, "b".repeat(30), "c".repeat(31)].join("."),
  ];
  for (const name of over) {
    for (
      const message of [
        answerWith([record(RType.A, { address: "192.0.2.1" }, name)]),
        answerWith([record(RType.CNAME, { target: name })]),
        { ...answerWith([]), questions: [{ name, type: RType.A, class: RClass.IN }] },
      ]
    ) {
      assert.throws(() => encodeMessage(message), (error: Error) => {
        assert.ok(error instanceof DnsWireError, `${error.name}: ${error.message}`);
        assert.match(error.message, /longer than (63|255) octets/);
        return true;
      });
    }
  }
});

Deno.test("a message of exactly 65535 bytes round-trips; one byte more is refused", () => {
  // Header 12 + root owner 1 + type/class/TTL/RDLENGTH 10 + rdata.
  const sized = (rdata: number): Message => ({
    header: { ...NO_FLAGS, response: true },
    questions: [],
    answers: [record(65280, { bytes: new Uint8Array(rdata).fill(7) }, "")],
    authorities: [],
    additionals: [],
  });
  assert.equal(roundTrip(sized(65535 - 23)).length, 65535);
  assert.throws(() => encodeMessage(sized(65535 - 22)), DnsWireError);
});

Deno.test("bad values are refused on encode with DnsWireError", () => {
  const bad: [ResourceRecord, RegExp][] = [
    [record(RType.A, { address: "256.0.0.1" }), /not an IPv4 address/],
    [record(RType.A, { address: "1.2.3" }), /not an IPv4 address/],
    [record(RType.AAAA, { address: "2001:db8::g" }), /not an IPv6 address/],
    [record(RType.AAAA, { address: "1::2::3" }), /not an IPv6 address/],
    [record(RType.TXT, { strings: [new Uint8Array(256)] }), /character-string longer than 255/],
    [record(RType.TXT, { strings: [] }), /at least one string/],
    [record(RType.CAA, { flags: 0, tag: "", value: new Uint8Array(0) }), /CAA tag/],
    [record(RType.A, { address: "192.0.2.1" }, "a..b"), /empty label/],
    [record(RType.A, { address: "192.0.2.1" }, "a.é"), /bad escape/],
    [record(RType.A, { address: "192.0.2.1" }, "a\\"), /bad escape/],
    [record(RType.OPT, { bytes: new Uint8Array(0) }), /OPT belongs in Message.edns/],
  ];
  for (const [rr, expected] of bad) {
    assert.throws(() => encodeMessage(answerWith([rr])), (error: Error) => {
      assert.ok(error instanceof DnsWireError, `${error.name}: ${error.message}`);
      assert.match(error.message, expected);
      return true;
    });
  }
});

Deno.test("encodeMessage() pads to a block (RFC 8467), replacing any padding the message had", () => {
  const withPadding = ednsWith([
    { code: EdnsOptionCode.PADDING, data: new Uint8Array(3) },
    encodeClientSubnet(ECS_V4),
  ]);
  for (const block of [128, 468]) {
    for (const count of [0, 1, 7, 40]) {
      const answers = Array.from(
        { length: count },
        (_, i) => record(RType.A, { address: `192.0.2.${i}` }),
      );
      const wire = encodeMessage(answerWith(answers, withPadding), { padBlock: block });
      assert.equal(wire.length % block, 0, `${count} answers, block ${block}`);
      const { edns } = decodeMessage(wire);
      assert.deepEqual(edns!.options.map((o) => o.code), [EdnsOptionCode.CLIENT_SUBNET, 12]);
      assert.ok(edns!.options[1].data.every((byte) => byte === 0));
    }
  }
  // Without EDNS there is nowhere to put padding: the message is left as it is.
  const plain = answerWith([record(RType.A, { address: "192.0.2.1" })]);
  assert.deepEqual(encodeMessage(plain, { padBlock: 468 }), encodeMessage(plain));
});
