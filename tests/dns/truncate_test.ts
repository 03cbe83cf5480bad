/**
 * UDP truncation at record boundaries, checked at exact sizes: header 12 + question
 * "t.example" A (11 + 4) = 27 bytes; each A record with a compressed owner is 16 bytes; an
 * OPT record without options is 11.
 */
import assert from "node:assert/strict";
import {
  buildReply,
  decodeMessage,
  encodeMessage,
  type Message,
  RClass,
  type ResourceRecord,
  RType,
  truncateAnswer,
  udpPayloadLimit,
} from "../../dns/mod.ts";
import { queryMessage } from "../support/dns_query.ts";

const BEFORE_RECORDS = 27;
const A_RECORD = 16;
const OPT_RECORD = 11;

const aRecord = (i: number): ResourceRecord => ({
  name: "t.example",
  type: RType.A,
  class: RClass.IN,
  ttl: 300,
  data: { address: `192.0.2.${i}` },
});

function reply(
  counts: { answers?: number; authorities?: number; additionals?: number },
  edns = true,
): Message {
  const records = (n = 0, from = 0) => Array.from({ length: n }, (_, i) => aRecord(from + i));
  const query = queryMessage("t.example", RType.A, {
    id: 0xbeef,
    edns: edns ? { dnssecOk: true } : undefined,
  });
  return buildReply(query, {
    answers: records(counts.answers),
    authorities: records(counts.authorities, 100),
    additionals: records(counts.additionals, 200),
  });
}

Deno.test("truncateAnswer() returns an answer that fits as it is, not a copy", () => {
  const bytes = encodeMessage(reply({ answers: 3 }));
  assert.equal(bytes.length, BEFORE_RECORDS + 3 * A_RECORD + OPT_RECORD);
  assert.equal(truncateAnswer(bytes, bytes.length), bytes);
});

Deno.test("truncateAnswer() keeps as many whole answers as fit in 512 bytes with the OPT, and sets TC", () => {
  const bytes = encodeMessage(reply({ answers: 40 }));
  assert.equal(bytes.length, BEFORE_RECORDS + 40 * A_RECORD + OPT_RECORD); // 678
  const cut = truncateAnswer(bytes, 512);
  // (512 - 11 - 27) / 16 = 29.6: 29 records, 27 + 464 + 11 = 502 bytes.
  assert.equal(cut.length, 502);
  const message = decodeMessage(cut);
  assert.equal(message.header.truncated, true);
  assert.equal(message.header.id, 0xbeef);
  assert.equal(message.answers.length, 29);
  assert.deepEqual(message.answers.at(-1)?.data, { address: "192.0.2.28" });
  assert.deepEqual(message.questions, reply({}).questions);
  assert.equal(message.edns?.udpSize, 1232);
  assert.equal(message.edns?.dnssecOk, true);
});

Deno.test("truncateAnswer() cuts exactly at a record boundary: a limit one byte short drops one record", () => {
  const bytes = encodeMessage(reply({ answers: 20 }));
  const ten = BEFORE_RECORDS + 10 * A_RECORD + OPT_RECORD; // 198
  assert.equal(truncateAnswer(bytes, ten).length, ten);
  assert.equal(decodeMessage(truncateAnswer(bytes, ten)).answers.length, 10);
  const short = truncateAnswer(bytes, ten - 1);
  assert.equal(short.length, ten - A_RECORD);
  assert.equal(decodeMessage(short).answers.length, 9);
});

Deno.test("truncateAnswer() without EDNS fills 512 bytes with records alone", () => {
  const bytes = encodeMessage(reply({ answers: 40 }, false));
  const cut = truncateAnswer(bytes, 512);
  // (512 - 27) / 16 = 30.3: 30 records, 27 + 480 = 507 bytes.
  assert.equal(cut.length, 507);
  const message = decodeMessage(cut);
  assert.equal(message.answers.length, 30);
  assert.equal(message.edns, undefined);
  assert.equal(message.header.truncated, true);
});

Deno.test("truncateAnswer() drops additional records without setting TC (RFC 2181 §9)", () => {
  const bytes = encodeMessage(reply({ answers: 10, additionals: 30 }, false));
  const cut = truncateAnswer(bytes, 512);
  assert.equal(cut.length, 507);
  const message = decodeMessage(cut);
  assert.equal(message.answers.length, 10);
  assert.equal(message.additionals.length, 20);
  assert.equal(message.header.truncated, false);
});

Deno.test("truncateAnswer() sets TC when authority records had to go", () => {
  const bytes = encodeMessage(reply({ answers: 10, authorities: 30 }));
  const cut = truncateAnswer(bytes, 512);
  const message = decodeMessage(cut);
  assert.equal(message.answers.length, 10);
  assert.equal(message.authorities.length, 19);
  assert.equal(cut.length, BEFORE_RECORDS + 29 * A_RECORD + OPT_RECORD);
  assert.equal(message.header.truncated, true);
});

Deno.test("truncateAnswer() keeps header, question and OPT when not even one record fits", () => {
  const bytes = encodeMessage(reply({ answers: 2 }));
  const cut = truncateAnswer(bytes, BEFORE_RECORDS + OPT_RECORD + A_RECORD - 1);
  assert.equal(cut.length, BEFORE_RECORDS + OPT_RECORD);
  const message = decodeMessage(cut);
  assert.equal(message.answers.length, 0);
  assert.equal(message.header.truncated, true);
  assert.ok(message.edns);
});

Deno.test("truncateAnswer() moves an OPT found mid-section to the end, dropping what followed it", () => {
  // 10 answers and one additional, with an OPT spliced in before the additional.
  const plain = encodeMessage(reply({ answers: 10, additionals: 1 }, false));
  const opt = new Uint8Array([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
  const split = plain.length - A_RECORD;
  const bytes = new Uint8Array([...plain.subarray(0, split), ...opt, ...plain.subarray(split)]);
  bytes[11] = 2; // ARCOUNT: the OPT and the additional
  assert.equal(decodeMessage(bytes).edns?.udpSize, 1232);
  const cut = truncateAnswer(bytes, bytes.length - 1);
  assert.equal(cut.length, split + OPT_RECORD);
  const message = decodeMessage(cut);
  assert.equal(message.answers.length, 10);
  assert.equal(message.additionals.length, 0);
  assert.equal(message.edns?.udpSize, 1232);
  assert.equal(message.header.truncated, false);
});

Deno.test("truncateAnswer() cuts a set of big TXT records to the client's 600 bytes", () => {
  const message = reply({});
  message.answers = Array.from({ length: 8 }, (_, i) => ({
    name: "t.example",
    type: RType.TXT,
    class: RClass.IN,
    ttl: 300,
    data: { strings: [new TextEncoder().encode(`${i}`.padEnd(200, "x"))] },
  }));
  const bytes = encodeMessage(message);
  // Each record: owner pointer 2 + 10 + length byte 1 + 200 = 213.
  const cut = truncateAnswer(bytes, 600);
  assert.equal(cut.length, BEFORE_RECORDS + 2 * 213 + OPT_RECORD);
  assert.equal(decodeMessage(cut).answers.length, 2);
  assert.equal(decodeMessage(cut).header.truncated, true);
});

Deno.test("udpPayloadLimit() is 512 without EDNS and the client's size within 512 and the cap", () => {
  assert.equal(udpPayloadLimit(undefined, 1232), 512);
  assert.equal(udpPayloadLimit(600, 1232), 600);
  assert.equal(udpPayloadLimit(4096, 1232), 1232);
  assert.equal(udpPayloadLimit(100, 1232), 512);
});
