/**
 * Hand-built malformed messages, each refused with a DnsWireError that names the problem and
 * the byte where it was found; and the fast paths (peekQuestion, scanRecords, withId,
 * withoutOpt) checked against a full decode.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  DnsWireError,
  encodeMessage,
  type Message,
  peekQuestion,
  RClass,
  Rcode,
  RType,
  scanRecords,
  withId,
  withoutOpt,
} from "../../dns/mod.ts";
import { makeQuery, queryMessage } from "../support/dns_query.ts";

/** A header with the given counts, then `body`. */
function packet(counts: [number, number, number, number], body: number[]): Uint8Array {
  return new Uint8Array([
    0x12,
    0x34,
    0x81,
    0x80,
    ...counts.flatMap((c) => [c >> 8, c & 0xff]),
    ...body,
  ]);
}

/** "a" A IN as question bytes. */
const QUESTION = [1, 0x61, 0, 0, 1, 0, 1];
/** An A record owned by a pointer to the question name, with rdata `rdata` of `length`. */
const answer = (
  length: number,
  rdata: number[],
) => [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, length >> 8, length & 0xff, ...rdata];

const CASES: [string, Uint8Array, RegExp, number][] = [
  ["empty message", new Uint8Array(0), /header/, 0],
  ["truncated header", new Uint8Array(11), /header/, 0],
  ["question count that lies", packet([2, 0, 0, 0], QUESTION), /truncated name/, 19],
  ["answer count that lies", packet([1, 1, 0, 0], QUESTION), /truncated name/, 19],
  [
    "RDLENGTH past the end",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(200, [1, 2, 3, 4])]),
    /RDLENGTH|rdata/,
    31,
  ],
  [
    "A rdata of the wrong size",
    packet([1, 1, 0, 0], [...QUESTION, ...answer(3, [1, 2, 3])]),
    /A rdata must be 4 bytes/,
    31,
  ],
  [
    "pointer to itself",
    packet([1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1]),
    /does not point backwards/,
    12,
  ],
  [
    "forward pointer",
    packet([1, 0, 0, 0], [0xc0, 14, 1, 0x61, 0, 0, 1, 0, 1]),
    /does not point backwards/,
    12,
  ],
  [
    "pointer loop between two names",
    packet([1, 1, 0, 0], [1, 0x61, 0xc0, 21, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0]),
    /does not point backwards|truncated/,
    14,
  ],
  [
    "label type 0x40",
    packet([1, 0, 0, 0], [0x41, 0x61, 0, 0, 1, 0, 1]),
    /unsupported label type 0x40/,
    12,
  ],
  ["truncated label", packet([1, 0, 0, 0], [10, 0x61, 0x62]), /truncated label/, 12],
  [
    "name over 255 octets",
    packet([1, 0, 0, 0], [
      ...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat(),
      0,
      0,
      1,
      0,
      1,
    ]),
    /name longer than 255 octets/,
    0,
  ],
  ["trailing bytes", packet([1, 0, 0, 0], [...QUESTION, 0xff]), /1 trailing bytes/, 19],
  [
    "OPT outside the additional section",
    packet([1, 1, 0, 0], [...QUESTION, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]),
    /OPT record outside the additional section/,
    0,
  ],
  [
    "two OPT records",
    packet([1, 0, 0, 2], [...QUESTION, ...[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0], ...[
      0,
      0,
      41,
      4,
      0xd0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]]),
    /more than one OPT record/,
    0,
  ],
  [
    "OPT owner not the root",
    packet([1, 0, 0, 1], [...QUESTION, 0xc0, 12, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]),
    /OPT record owner is not the root/,
    0,
  ],
  [
    "EDNS option running past OPT",
    packet([1, 0, 0, 1], [...QUESTION, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 8]),
    /EDNS option runs past OPT|truncated EDNS option/,
    0,
  ],
];

for (const [label, bytes, message, minimumOffset] of CASES) {
  Deno.test(`decodeMessage refuses: ${label}`, () => {
    assert.throws(() => decodeMessage(bytes), (error: Error) => {
      assert.ok(error instanceof DnsWireError, `${error.name}: ${error.message}`);
      assert.match(error.message, message);
      assert.match(error.message, / at byte \d+$/);
      assert.ok(error.offset >= minimumOffset && error.offset <= Math.max(bytes.length, 12));
      return true;
    });
  });
}

function soa(ttl: number, minimum: number) {
  return {
    name: "test.example",
    type: RType.SOA,
    class: RClass.IN,
    ttl,
    data: {
      mname: "ns1.test.example",
      rname: "hostmaster.test.example",
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum,
    },
  };
}

function reply(init: Partial<Message>): Message {
  const query = queryMessage("www.test.example", RType.A, { id: 7, edns: {} });
  return { ...query, header: { ...query.header, response: true }, ...init };
}

Deno.test("peekQuestion reads header and first question without a full decode", () => {
  const bytes = makeQuery("WWW.Test.Example", RType.AAAA, { id: 0xabcd, edns: {} });
  const view = peekQuestion(bytes);
  assert.equal(view.id, 0xabcd);
  assert.equal(view.response, false);
  assert.equal(view.opcode, 0);
  assert.equal(view.qdcount, 1);
  assert.equal(view.arcount, 1);
  assert.deepEqual(view.question, { name: "www.test.example", type: RType.AAAA, class: RClass.IN });
  assert.equal(view.questionEnd, 12 + 18 + 4);
});

Deno.test("scanRecords finds every TTL's offset, the minimum TTL, the OPT and the rcode", () => {
  const message = reply({
    answers: [
      {
        name: "www.test.example",
        type: RType.CNAME,
        class: RClass.IN,
        ttl: 300,
        data: { target: "x.test.example" },
      },
      {
        name: "x.test.example",
        type: RType.A,
        class: RClass.IN,
        ttl: 60,
        data: { address: "192.0.2.1" },
      },
    ],
    authorities: [soa(900, 120)],
  });
  const bytes = encodeMessage(message);
  const scan = scanRecords(bytes);
  const view = new DataView(bytes.buffer);
  assert.deepEqual(scan.ttlOffsets.map((offset) => view.getUint32(offset)), [300, 60, 900]);
  assert.equal(scan.minTtl, 60);
  assert.equal(scan.answerCount, 2);
  assert.equal(scan.rcode, Rcode.NOERROR);
  assert.ok(scan.opt !== undefined && scan.opt.end === bytes.length);
});

Deno.test("scanRecords: negative TTL is min(SOA TTL, SOA MINIMUM) (RFC 2308); extended rcode", () => {
  for (const [ttl, minimum, expected] of [[900, 120, 120], [30, 3600, 30]]) {
    const nxdomain = reply({
      header: { ...reply({}).header, rcode: Rcode.NXDOMAIN },
      authorities: [soa(ttl, minimum)],
    });
    const scan = scanRecords(encodeMessage(nxdomain));
    assert.equal(scan.rcode, Rcode.NXDOMAIN);
    assert.equal(scan.negativeTtl, expected);
  }
  const noSoa = scanRecords(encodeMessage(reply({ header: { ...reply({}).header, rcode: 3 } })));
  assert.equal(noSoa.negativeTtl, undefined);
  const badvers = scanRecords(encodeMessage(reply({ header: { ...reply({}).header, rcode: 16 } })));
  assert.equal(badvers.rcode, 16);
});

Deno.test("withId changes only the first two bytes of a copy", () => {
  const bytes = makeQuery("a.example", RType.A, { id: 1 });
  const copy = withId(bytes, 0xfedc);
  assert.notEqual(copy, bytes);
  assert.deepEqual([...copy.subarray(0, 2)], [0xfe, 0xdc]);
  assert.deepEqual(copy.subarray(2), bytes.subarray(2));
  assert.equal(peekQuestion(bytes).id, 1);
});

Deno.test("withoutOpt drops the OPT record and fixes ARCOUNT; SERVFAIL for an extended rcode", () => {
  const message = reply({
    answers: [{
      name: "www.test.example",
      type: RType.A,
      class: RClass.IN,
      ttl: 60,
      data: { address: "192.0.2.1" },
    }],
    edns: { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] },
  });
  const stripped = withoutOpt(encodeMessage(message));
  const decoded = decodeMessage(stripped);
  assert.equal(decoded.edns, undefined);
  assert.equal(peekQuestion(stripped).arcount, 0);
  assert.deepEqual(decoded.answers, message.answers);
  const plain = encodeMessage({ ...message, edns: undefined });
  assert.equal(withoutOpt(plain), plain, "no OPT: the same bytes back");
  const extended = withoutOpt(
    encodeMessage({ ...message, header: { ...message.header, rcode: 16 } }),
  );
  assert.equal(decodeMessage(extended).header.rcode, Rcode.SERVFAIL);
});
