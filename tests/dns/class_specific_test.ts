/**
 * Rdata whose format depends on the class (RFC 3597 §4): A, AAAA, SRV, SVCB and HTTPS are
 * defined for IN. A in the Chaos class is a domain name and a 16-bit address (read as BIND
 * does), and these types in any other class travel as opaque bytes — never read as IN.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  encodeMessage,
  presentRdata,
  RClass,
  type ResourceRecord,
  RType,
} from "../../dns/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);
/** Wire form of an uncompressed name: "a.bc" → 01 61 02 62 63 00. */
const wireName = (name: string) => [
  ...name.split(".").flatMap((label) => [label.length, ...text(label)]),
  0,
];
const u16 = (value: number) => [value >> 8, value & 0xff];

/** A response to `name` `type` in class `klass` whose answers are the given raw records. */
function response(name: string, type: number, klass: number, records: number[][]): Uint8Array {
  const header = [0x12, 0x34, 0x84, 0x00, 0, 1, ...u16(records.length), 0, 0, 0, 0];
  return Uint8Array.from([
    ...header,
    ...wireName(name),
    ...u16(type),
    ...u16(klass),
    ...records.flat(),
  ]);
}

/** A raw record: owner bytes, type, class, TTL 60, then the rdata with its length. */
function rawRecord(owner: number[], type: number, klass: number, rdata: number[]): number[] {
  return [...owner, ...u16(type), ...u16(klass), 0, 0, 0, 60, ...u16(rdata.length), ...rdata];
}

const QUESTION = [0xc0, 12]; // a pointer to the question name

Deno.test("a Chaos-class A record (a name and a 16-bit address) decodes, prints and round-trips", () => {
  const rdata = [...wireName("Host.MIT.Chaos"), ...u16(0o177001)];
  const wire = response("host.chaos", RType.A, RClass.CH, [
    rawRecord(QUESTION, RType.A, RClass.CH, rdata),
  ]);
  const answer = decodeMessage(wire).answers[0];
  assert.deepEqual(answer.data, { domain: "Host.MIT.Chaos", address: 0o177001 });
  assert.equal(presentRdata(answer.type, answer.data, answer.class), "Host.MIT.Chaos. 177001");
  assert.deepEqual(encodeMessage(decodeMessage(wire)), wire);
});

Deno.test("a Chaos A whose name is a compression pointer is read through it and written whole", () => {
  // The first answer's owner is written out in full; the Chaos A points at it. Re-encoding
  // compresses that owner, so the bytes it pointed at move: the name must not be copied as is.
  const owner = wireName("x.a.chaos");
  const ownerAt = 12 + wireName("a.chaos").length + 4;
  const wire = response("a.chaos", RType.A, RClass.CH, [
    rawRecord(owner, RType.TXT, RClass.CH, [2, ...text("hi")]),
    rawRecord(QUESTION, RType.A, RClass.CH, [0xc0, ownerAt, ...u16(0o401)]),
  ]);
  const decoded = decodeMessage(wire);
  assert.deepEqual(decoded.answers[1].data, { domain: "x.a.chaos", address: 0o401 });
  const again = encodeMessage(decoded);
  assert.deepEqual([...again.subarray(ownerAt, ownerAt + 4)], [1, 0x78, 0xc0, 12], "compressed");
  assert.deepEqual(decodeMessage(again), decoded);
});

Deno.test("A, AAAA, SRV and HTTPS outside IN (bar Chaos A) are opaque, other types read alike", () => {
  const cases: [number, number, number[]][] = [
    [RType.A, RClass.HS, [192, 0, 2, 1]],
    [RType.AAAA, RClass.CH, [1, 2, 3]],
    [RType.SRV, RClass.CH, [0, 1]],
    [RType.HTTPS, RClass.ANY, []],
  ];
  for (const [type, klass, rdata] of cases) {
    const wire = response("x.example", type, klass, [rawRecord(QUESTION, type, klass, rdata)]);
    const answer = decodeMessage(wire).answers[0];
    assert.deepEqual(answer.data, { bytes: Uint8Array.from(rdata) }, `type ${type} class ${klass}`);
    const hex = rdata.map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
    const expected = rdata.length === 0 ? "\\# 0" : `\\# ${rdata.length} ${hex}`;
    assert.equal(presentRdata(type, answer.data, klass), expected);
    assert.deepEqual(encodeMessage(decodeMessage(wire)), wire);
  }
  // RFC 1035's standard types read the same in every class: version.bind CH TXT, say.
  const txt: ResourceRecord = {
    name: "version.bind",
    type: RType.TXT,
    class: RClass.CH,
    ttl: 0,
    data: { strings: [text("9.18")] },
  };
  const wire = response("version.bind", RType.TXT, RClass.CH, [
    rawRecord(QUESTION, RType.TXT, RClass.CH, [4, ...text("9.18")]),
  ]);
  assert.deepEqual(decodeMessage(wire).answers[0], { ...txt, ttl: 60 });
});
