/**
 * Hand-built malformed messages, each refused with a DnsWireError naming the problem and the
 * exact byte where it was found (a door answers FORMERR / HTTP 400 with it); and the fast paths
 * (peekQuestion, scanRecords, withId, withoutOpt) checked byte by byte and against a full decode.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  DnsWireError,
  EdnsOptionCode,
  encodeMessage,
  headOf,
  type Message,
  peekQuery,
  peekQuestion,
  RClass,
  Rcode,
  type ResourceRecord,
  RType,
  scanRecords,
  transientCopy,
  withId,
  withoutOpt,
} from "../../dns/mod.ts";
import { makeQuery, queryMessage } from "../support/dns_query.ts";
import { Random, randomMessage } from "../support/random_messages.ts";
import { soaRecord } from "../support/records.ts";

/** A response header (ID 0x1234, QR RD RA) with the given counts, then `body`. */
function packet(counts: [number, number, number, number], body: number[]): Uint8Array {
  const header = [0x12, 0x34, 0x81, 0x80, ...counts.flatMap((c) => [c >> 8, c & 0xff])];
  return new Uint8Array([...header, ...body]);
}

const A = 0x61;
/** QTYPE A, QCLASS IN: what follows a question name. */
const A_IN = [0, 1, 0, 1];
const label = (length: number, byte = A) => [length, ...new Array(length).fill(byte)];
/** Question "a" A IN at bytes 12-18; the next section starts at 19. */
const QUESTION = [...label(1), 0, ...A_IN];
/** Record fields after the owner: `type` IN, TTL 60, then RDLENGTH `length` and `rdata`. */
// deno-fmt-ignore
const fields = (type: number, length: number, rdata: number[]) => [
  type >> 8, type & 0xff, 0, 1, 0, 0, 0, 60, length >> 8, length & 0xff, ...rdata,
];
/** An answer owned by a pointer to the question name: rdata starts at byte 31. */
const answer = (type: number, length: number, rdata: number[]) => [
  ...[0xc0, 12],
  ...fields(type, length, rdata),
];
/** An OPT record: root owner, type 41, UDP size 1232, TTL 0, then RDLENGTH and `rdata`. */
// deno-fmt-ignore
const opt = (length = 0, rdata: number[] = []) => [
  0, 0, RType.OPT, 0x04, 0xd0, 0, 0, 0, 0, length >> 8, length & 0xff, ...rdata,
];
/** Three 63-octet labels: 192 octets, from byte 12 to 203. */
const LABELS_192 = [...label(63), ...label(63), ...label(63)];

/** [what, bytes, the error's message, its exact offset]. */
const CASES: [string, Uint8Array, RegExp, number][] = [
  ["an empty message", new Uint8Array(0), /truncated header/, 0],
  ["a truncated header (11 bytes)", new Uint8Array(11), /truncated header/, 0],
  ["a QDCOUNT that lies", packet([2, 0, 0, 0], QUESTION), /truncated name/, 19],
  ["an ANCOUNT that lies", packet([1, 1, 0, 0], QUESTION), /truncated name/, 19],
  ["an NSCOUNT that lies", packet([1, 0, 1, 0], QUESTION), /truncated name/, 19],
  ["an ARCOUNT that lies", packet([1, 0, 0, 1], QUESTION), /truncated name/, 19],
  ["all counts 65535", packet([0xffff, 0xffff, 0xffff, 0xffff], QUESTION), /truncated name/, 19],
  [
    "a question cut in its type",
    packet([1, 0, 0, 0], QUESTION.slice(0, 4)),
    /truncated question/,
    15,
  ],
  [
    "a record cut in its TTL",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(1, 4, []).slice(0, 8)]),
    /truncated record/,
    25,
  ],
  [
    "an RDLENGTH past the end",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.A, 200, [1, 2, 3, 4])]),
    /truncated rdata: need 200 bytes, 4 left/,
    31,
  ],
  [
    "an RDLENGTH longer than the rdata's fields (MX + 1 byte)",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.MX, 6, [0, 10, ...label(1), 0, 0])]),
    /rdata shorter than its RDLENGTH 6/,
    36,
  ],
  [
    "an RDLENGTH that cuts a name in the rdata (NS)",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.NS, 2, [...label(1), 0])]),
    /truncated name/,
    33,
  ],
  [
    "an A rdata of 3 bytes",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.A, 3, [1, 2, 3])]),
    /A rdata must be 4 bytes/,
    31,
  ],
  [
    "an empty TXT rdata",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.TXT, 0, [])]),
    /TXT rdata is empty/,
    31,
  ],
  [
    "a TXT string longer than its rdata",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.TXT, 3, [5, A, A])]),
    /truncated TXT string/,
    32,
  ],
  [
    "a CAA tag that is not letters and digits",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.CAA, 4, [0, 2, 0x2d, A])]),
    /CAA tag/,
    32,
  ],
  [
    "NSEC bitmap windows out of order",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.NSEC, 7, [0, 0, 1, 0x40, 0, 1, 0x40])]),
    /type bitmap windows out of order/,
    35,
  ],
  [
    "an SvcParam value running past the rdata",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(RType.HTTPS, 7, [0, 1, 0, 0, 1, 0, 9])]),
    /truncated SvcParam value/,
    38,
  ],
  [
    "a pointer to itself",
    packet([1, 0, 0, 0], [0xc0, 12, ...A_IN]),
    /does not point backwards/,
    12,
  ],
  [
    "a forward pointer",
    packet([1, 0, 0, 0], [0xc0, 14, ...label(1), 0, ...A_IN]),
    /does not point backwards/,
    12,
  ],
  [
    "a pointer into its own name",
    packet([1, 0, 0, 0], [...label(1), ...label(1), 0xc0, 14, ...A_IN]),
    /does not point backwards/,
    16,
  ],
  [
    // Answer 1's opaque rdata (bytes 23-26) holds "a" + pointer to byte 27, where answer 2's
    // owner points back to byte 23: 27 → 23 → 27 … is refused at the forward hop.
    "a pointer loop through an earlier rdata",
    packet([0, 2, 0, 0], [
      ...[0, ...fields(0xff00, 4, [...label(1), 0xc0, 27])],
      ...[0xc0, 23, ...fields(RType.A, 4, [1, 2, 3, 4])],
    ]),
    /does not point backwards/,
    25,
  ],
  [
    "a backward pointer to a pointer to itself",
    packet([0, 2, 0, 0], [
      ...[0, ...fields(0xff00, 2, [0xc0, 23])],
      ...[0xc0, 23, ...fields(RType.A, 4, [1, 2, 3, 4])],
    ]),
    /does not point backwards/,
    23,
  ],
  [
    "a truncated compression pointer",
    packet([1, 0, 0, 0], [0xc0]),
    /truncated compression pointer/,
    12,
  ],
  [
    "a label length of 64 (type 0x40)",
    packet([1, 0, 0, 0], [...label(64), 0, ...A_IN]),
    /unsupported label type 0x40/,
    12,
  ],
  [
    "a label of type 0x80",
    packet([1, 0, 0, 0], [0x80, A, 0, ...A_IN]),
    /unsupported label type 0x80/,
    12,
  ],
  ["a truncated label", packet([1, 0, 0, 0], [10, A, 0x62]), /truncated label/, 12],
  [
    "a name of 256 octets",
    packet([1, 0, 0, 0], [...LABELS_192, ...label(62, 0x62), 0, ...A_IN]),
    /name longer than 255 octets/,
    204,
  ],
  [
    // 63 + 1 octets here, then the 192 + 1 of the first question through the pointer.
    "a name of 256 octets made with a pointer",
    packet([2, 0, 0, 0], [...LABELS_192, 0, ...A_IN, ...label(62, 0x62), 0xc0, 12, ...A_IN]),
    /name longer than 255 octets/,
    140,
  ],
  ["trailing bytes", packet([1, 0, 0, 0], [...QUESTION, 0xff]), /1 trailing bytes/, 19],
  [
    "an OPT record in the answer section",
    packet([1, 1, 0, 0], [...QUESTION, ...opt()]),
    /OPT record outside the additional section/,
    20,
  ],
  [
    "an OPT record in the authority section",
    packet([1, 0, 1, 0], [...QUESTION, ...opt()]),
    /OPT record outside the additional section/,
    20,
  ],
  [
    "two OPT records",
    packet([1, 0, 0, 2], [...QUESTION, ...opt(), ...opt()]),
    /more than one OPT record/,
    30,
  ],
  [
    "an OPT record not owned by the root",
    packet([1, 0, 0, 1], [...QUESTION, 0xc0, 12, ...opt().slice(1)]),
    /OPT record owner is not the root/,
    19,
  ],
  [
    "an EDNS option running past its OPT",
    packet([1, 0, 0, 1], [...QUESTION, ...opt(4, [0, 10, 0, 8])]),
    /EDNS option runs past OPT/,
    34,
  ],
  [
    "a truncated EDNS option header",
    packet([1, 0, 0, 1], [...QUESTION, ...opt(2, [0, 10])]),
    /truncated EDNS option/,
    30,
  ],
  [
    "an OPT RDLENGTH past the end",
    packet([1, 0, 0, 1], [...QUESTION, ...opt(9, [0, 10, 0, 0])]),
    /truncated OPT rdata/,
    30,
  ],
];

for (const [what, bytes, message, offset] of CASES) {
  Deno.test(`decodeMessage() refuses ${what} with DnsWireError at byte ${offset}`, () => {
    assert.throws(() => decodeMessage(bytes), (error: Error) => {
      assert.ok(error instanceof DnsWireError, `${error.name}: ${error.message}`);
      assert.ok(error instanceof SyntaxError);
      assert.match(error.message, message);
      assert.equal(error.offset, offset, error.message);
      assert.ok(error.message.endsWith(` at byte ${offset}`));
      return true;
    });
  });
}

Deno.test("decodeMessage() accepts the limits it refuses one past: 255-octet names, 63-octet labels", () => {
  const longest = packet([1, 0, 0, 0], [...LABELS_192, ...label(61, 0x62), 0, ...A_IN]);
  assert.equal(decodeMessage(longest).questions[0].name.length, 3 * 64 + 61);
  const viaPointer = packet([2, 0, 0, 0], [
    ...[...LABELS_192, 0, ...A_IN],
    ...[...label(61, 0x62), 0xc0, 12, ...A_IN],
  ]);
  const names = decodeMessage(viaPointer).questions.map((q) => q.name);
  assert.equal(names[1], `${"b".repeat(61)}.${names[0]}`);
  assert.equal(names[1].length, 253);
});

Deno.test("the fast paths refuse a short message with DnsWireError at byte 0", () => {
  for (const bytes of [new Uint8Array(0), new Uint8Array(1), new Uint8Array(11)]) {
    for (const fn of [peekQuestion, scanRecords, withoutOpt]) {
      assert.throws(() => fn(bytes as Uint8Array<ArrayBuffer>), (error: Error) => {
        assert.ok(error instanceof DnsWireError);
        assert.equal(error.offset, 0);
        return true;
      });
    }
  }
  assert.throws(() => withId(new Uint8Array(1), 7), DnsWireError);
});

Deno.test("peekQuestion() reads header and first question without a full decode", () => {
  const bytes = makeQuery("WWW.Test.Example", RType.AAAA, { id: 0xabcd, edns: {} });
  const view = peekQuestion(bytes);
  assert.deepEqual(view, {
    id: 0xabcd,
    flags: 0x0100,
    opcode: 0,
    response: false,
    truncated: false,
    rcode4: 0,
    qdcount: 1,
    ancount: 0,
    nscount: 0,
    arcount: 1,
    question: { name: "www.test.example", type: RType.AAAA, class: RClass.IN },
    questionEnd: 12 + 18 + 4,
  });
  // It stops after the question: garbage after it is the full decoder's business.
  const garbage = new Uint8Array([...bytes.subarray(0, view.questionEnd), 0xc0, 0xff]);
  assert.deepEqual(peekQuestion(garbage).question, view.question);
  assert.throws(() => decodeMessage(garbage), DnsWireError);
});

Deno.test("peekQuery() reads the head of a common query as a full decode would", () => {
  const padding = { code: EdnsOptionCode.PADDING, data: new Uint8Array(8) };
  const cases = [
    makeQuery("WWW.Test.Example", RType.AAAA, { id: 0xabcd }),
    makeQuery("www.test.example", RType.A, { edns: { dnssecOk: true, options: [padding] } }),
    makeQuery("www.test.example", RType.A, { edns: { version: 1 } }),
  ];
  for (const bytes of cases) {
    const head = peekQuery(bytes);
    assert.ok(head !== undefined);
    assert.deepEqual(head, headOf(decodeMessage(bytes)));
  }
  assert.equal(peekQuery(cases[1])?.edns?.padded, true);
  assert.equal(peekQuery(cases[1])?.edns?.dnssecOk, true);
  // Other shapes are left to the full decoder.
  assert.equal(peekQuery(makeQuery("", RType.A, { questions: [] })), undefined);
  // Malformed ones throw what the full decoder throws.
  const thrown = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error;
    }
    assert.fail("no error thrown");
  };
  for (const bad of [new Uint8Array([...cases[0], 0]), cases[1].subarray(0, cases[1].length - 3)]) {
    const full = thrown(() => decodeMessage(bad));
    const fast = thrown(() => peekQuery(bad));
    assert.ok(fast instanceof DnsWireError && full instanceof DnsWireError);
    assert.deepEqual([fast.message, fast.offset], [full.message, full.offset]);
  }
});

Deno.test("peekQuestion() reads flags, TC and the 4-bit rcode; no question when QDCOUNT is 0", () => {
  const reply = packet([0, 0, 0, 0], []);
  reply.set([0x2b, 0x83], 2); // QR=0, opcode 5, TC, RD, RA, rcode 3
  const view = peekQuestion(reply);
  assert.equal(view.flags, 0x2b83);
  assert.equal(view.opcode, 5);
  assert.equal(view.response, false);
  assert.equal(view.truncated, true);
  assert.equal(view.rcode4, 3);
  assert.equal(view.question, undefined);
  assert.equal(view.questionEnd, 12);
});

function rr(name: string, type: number, ttl: number, data: ResourceRecord["data"]) {
  return { name, type, class: RClass.IN, ttl, data };
}

const soa = soaRecord;

function reply(init: Partial<Message>, rcode = 0): Message {
  const query = queryMessage("www.test.example", RType.A, { id: 7, edns: {} });
  return { ...query, header: { ...query.header, response: true, rcode }, ...init };
}

Deno.test("scanRecords() TTL offsets point at the TTL bytes; minTtl, answerCount, OPT", () => {
  const message = reply({
    answers: [
      rr("www.test.example", RType.CNAME, 300, { target: "x.test.example" }),
      rr("x.test.example", RType.A, 60, { address: "192.0.2.1" }),
    ],
    authorities: [soa(900, 120)],
    additionals: [rr("x.test.example", RType.AAAA, 4294967295, { address: "2001:db8::1" })],
  });
  const bytes = encodeMessage(message);
  const scan = scanRecords(bytes);
  const view = new DataView(bytes.buffer);
  assert.deepEqual(scan.ttlOffsets.map((at) => view.getUint32(at)), [300, 60, 900, 4294967295]);
  // Patching those offsets changes exactly the TTLs a full decode sees.
  for (const at of scan.ttlOffsets) view.setUint32(at, 42);
  const patched = decodeMessage(bytes);
  for (const section of [patched.answers, patched.authorities, patched.additionals]) {
    for (const record of section) assert.equal(record.ttl, 42);
  }
  assert.equal(scan.minTtl, 60);
  assert.equal(scan.answerCount, 2);
  assert.equal(scan.rcode, Rcode.NOERROR);
  assert.equal(scan.negativeTtl, undefined, "an answer is not a negative reply");
  assert.deepEqual(scan.opt, {
    offset: bytes.length - 11,
    end: bytes.length,
    udpSize: 1232,
    dnssecOk: false,
  });
  const bare = scanRecords(encodeMessage({ ...message, answers: [], authorities: [] }));
  assert.equal(bare.answerCount, 0);
  assert.equal(bare.minTtl, 4294967295);
  const empty = scanRecords(makeQuery("a.example", RType.A));
  assert.deepEqual(empty, {
    rcode: 0,
    ttlOffsets: [],
    minTtl: undefined,
    negativeTtl: undefined,
    answerCount: 0,
  });
});

Deno.test("scanRecords() negativeTtl is min(SOA TTL, SOA MINIMUM) (RFC 2308 §5)", () => {
  for (const [ttl, minimum, expected] of [[900, 120, 120], [30, 3600, 30], [0, 60, 0]]) {
    for (const rcode of [Rcode.NXDOMAIN, Rcode.NOERROR]) {
      const scan = scanRecords(encodeMessage(reply({ authorities: [soa(ttl, minimum)] }, rcode)));
      assert.equal(scan.rcode, rcode);
      assert.equal(scan.negativeTtl, expected, `TTL ${ttl}, MINIMUM ${minimum}`);
    }
  }
  // The first SOA counts; without one, or with answers, there is no negative TTL.
  const two = scanRecords(encodeMessage(reply({ authorities: [soa(50, 40), soa(10, 10)] }, 3)));
  assert.equal(two.negativeTtl, 40);
  assert.equal(scanRecords(encodeMessage(reply({}, 3))).negativeTtl, undefined);
  const answered = reply({
    answers: [rr("www.test.example", RType.A, 5, { address: "192.0.2.1" })],
    authorities: [soa(900, 120)],
  });
  assert.equal(scanRecords(encodeMessage(answered)).negativeTtl, undefined);
});

Deno.test("scanRecords() rcode includes the EDNS extended bits (BADVERS=16, 4095)", () => {
  for (const rcode of [Rcode.BADVERS, 0x123, 4095]) {
    assert.equal(scanRecords(encodeMessage(reply({}, rcode))).rcode, rcode);
  }
  // Without OPT only the 4 header bits exist.
  const plain = encodeMessage({ ...reply({}, Rcode.REFUSED), edns: undefined });
  assert.equal(scanRecords(plain).rcode, Rcode.REFUSED);
});

Deno.test("scanRecords() agrees with decodeMessage() on 2,000 random messages", () => {
  const seed = 0x5ca0_0001;
  const random = new Random(seed);
  for (let i = 0; i < 2000; i++) {
    const bytes = encodeMessage(randomMessage(random));
    const decoded = decodeMessage(bytes);
    const scan = scanRecords(bytes);
    const where = `seed ${seed}, message ${i}`;
    const records = [...decoded.answers, ...decoded.authorities, ...decoded.additionals];
    const view = new DataView(bytes.buffer);
    assert.deepEqual(scan.ttlOffsets.map((at) => view.getUint32(at)), records.map((r) => r.ttl));
    const ttls = records.map((r) => r.ttl);
    assert.equal(scan.minTtl, ttls.length ? Math.min(...ttls) : undefined, where);
    assert.equal(scan.rcode, decoded.header.rcode, where);
    assert.equal(scan.answerCount, decoded.answers.length, where);
    assert.equal(scan.opt?.udpSize, decoded.edns?.udpSize, where);
    assert.equal(scan.opt?.dnssecOk, decoded.edns?.dnssecOk, where);
    const firstSoa = decoded.authorities.find((r) => r.type === RType.SOA);
    const negative = decoded.answers.length === 0 && firstSoa !== undefined
      ? Math.min(firstSoa.ttl, (firstSoa.data as { minimum: number }).minimum)
      : undefined;
    assert.equal(scan.negativeTtl, negative, where);
    const view2 = peekQuestion(bytes);
    assert.deepEqual(view2.question, decoded.questions[0], where);
    assert.equal(view2.id, decoded.header.id, where);
  }
});

Deno.test("withId() changes only bytes 0-1, of a copy", () => {
  const bytes = makeQuery("a.example", RType.A, { id: 1, edns: {} });
  const before = bytes.slice();
  for (const id of [0, 0xfedc, 0xffff]) {
    const copy = withId(bytes, id);
    assert.notEqual(copy.buffer, bytes.buffer);
    assert.deepEqual([...copy.subarray(0, 2)], [id >> 8, id & 0xff]);
    assert.deepEqual(copy.subarray(2), bytes.subarray(2));
    assert.equal(decodeMessage(copy).header.id, id);
  }
  assert.deepEqual(bytes, before, "the input is untouched");
  // A view into a larger buffer is copied by its own bounds.
  const inner = new Uint8Array([9, 9, ...bytes, 9]).subarray(2, 2 + bytes.length);
  assert.deepEqual(withId(inner, 5).subarray(2), bytes.subarray(2));
});

Deno.test("withoutOpt() cuts a trailing OPT and decrements ARCOUNT, leaving every other byte", () => {
  const message = reply({
    answers: [rr("www.test.example", RType.A, 60, { address: "192.0.2.1" })],
    additionals: [rr("ns.test.example", RType.A, 60, { address: "192.0.2.53" })],
    edns: { udpSize: 1232, version: 0, dnssecOk: true, flags: 0, options: [] },
  });
  const bytes = encodeMessage(message);
  const stripped = withoutOpt(bytes);
  assert.equal(stripped.length, bytes.length - 11);
  assert.deepEqual(stripped.subarray(0, 10), bytes.subarray(0, 10));
  assert.deepEqual([stripped[10], stripped[11]], [0, 1]);
  assert.deepEqual(stripped.subarray(12), bytes.subarray(12, bytes.length - 11));
  assert.equal(bytes[11], 2, "the input is untouched");
  const { edns: _, ...withoutEdns } = message;
  assert.deepEqual(decodeMessage(stripped), withoutEdns);
  const plain = encodeMessage(withoutEdns);
  assert.equal(withoutOpt(plain), plain, "no OPT: the same bytes back");
});

Deno.test("withoutOpt() re-encodes when OPT is not last, and turns an extended rcode into SERVFAIL", () => {
  // OPT first, then an A record: the cut would move bytes, so the message is rebuilt.
  const bytes = packet([1, 0, 0, 2], [
    ...QUESTION,
    ...opt(),
    ...answer(RType.A, 4, [192, 0, 2, 1]),
  ]) as Uint8Array<ArrayBuffer>;
  const stripped = withoutOpt(bytes);
  const decoded = decodeMessage(stripped);
  assert.equal(decoded.edns, undefined);
  assert.equal(peekQuestion(stripped).arcount, 1);
  assert.deepEqual(decoded.additionals, [rr("a", RType.A, 60, { address: "192.0.2.1" })]);
  assert.deepEqual(decoded.header, { ...decodeMessage(bytes).header });
  const extended = withoutOpt(encodeMessage(reply({}, Rcode.BADVERS)));
  assert.equal(decodeMessage(extended).header.rcode, Rcode.SERVFAIL);
  assert.equal(peekQuestion(extended).arcount, 0);
});

Deno.test("every entry point reads a view into a larger buffer by its own bounds", () => {
  // Bytes arrive as views (a request body, a slice of a TCP stream): offsets are the view's.
  const random = new Random(0x5ca0_0002);
  for (let i = 0; i < 200; i++) {
    const wire = encodeMessage(randomMessage(random));
    const backing = new Uint8Array(wire.length + 10).fill(0xee);
    backing.set(wire, 5);
    const view = backing.subarray(5, 5 + wire.length);
    assert.deepEqual(decodeMessage(view), decodeMessage(wire));
    assert.deepEqual(peekQuestion(view), peekQuestion(wire));
    assert.deepEqual(scanRecords(view), scanRecords(wire));
    assert.deepEqual(withoutOpt(view), withoutOpt(wire));
    assert.deepEqual(withId(view, 0x4242), withId(wire, 0x4242));
  }
});

Deno.test("a chain of compression pointers longer than any real name is refused quickly", () => {
  // Record 1 carries, as opaque rdata, 2,000 pointers each aimed at the one before (the first
  // at the question's name); record 2's owner is a pointer to the last of them.
  const chainStart = 12 + 7 + 12; // header, question "a", record 1 up to its rdata
  const links: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const target = i === 0 ? 12 : chainStart + (i - 1) * 2;
    links.push(0xc0 | (target >> 8), target & 0xff);
  }
  const lastLink = chainStart + links.length - 2;
  const bytes = new Uint8Array([
    0x12,
    0x34,
    0x81,
    0x80,
    0,
    1,
    0,
    2,
    0,
    0,
    0,
    0,
    1,
    0x61,
    0,
    0,
    1,
    0,
    1,
    0xc0,
    12,
    0xff,
    0x00,
    0,
    1,
    0,
    0,
    0,
    60,
    links.length >> 8,
    links.length & 0xff,
    ...links,
    0xc0 | (lastLink >> 8),
    lastLink & 0xff,
    0,
    1,
    0,
    1,
    0,
    0,
    0,
    60,
    0,
    4,
    192,
    0,
    2,
    1,
  ]);
  const started = performance.now();
  for (const decode of [decodeMessage, scanRecords]) {
    assert.throws(() => decode(bytes), (error: Error) => {
      assert.ok(error instanceof DnsWireError);
      assert.match(error.message, /more than 127 compression pointers in a name/);
      return true;
    });
  }
  assert.ok(performance.now() - started < 50, "refused without walking the whole chain");
});

Deno.test("transientCopy() gives copies that share no byte, however many are made", () => {
  const source = new Uint8Array(300).map((_, i) => i & 0xff);
  const copies = Array.from({ length: 500 }, (_, n) => {
    const copy = transientCopy(source, 100 + (n % 3));
    copy[0] = n & 0xff;
    return copy;
  });
  copies.forEach((copy, n) => {
    assert.equal(copy.length, 100 + (n % 3));
    assert.equal(copy[0], n & 0xff, "no later copy wrote over this one");
    assert.deepEqual(copy.subarray(1), source.subarray(1, copy.length));
  });
  assert.equal(source[0], 0, "the source is untouched");
  const big = transientCopy(new Uint8Array(10_000).fill(7));
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 10_000, "large copies get their own buffer");
  assert.equal(transientCopy(source, 1000).length, 300, "never longer than the source");
});
