import assert from "node:assert/strict";
import { decodeMessage, encodeReplyTo, Rcode, RType } from "../../dns/mod.ts";
import { makeQuery } from "../support/dns_query.ts";

Deno.test("encodeReplyTo() answers a decodable query with the rcode and its question echoed", () => {
  const query = makeQuery("www.test.example", RType.A, { id: 77, edns: {} });
  const reply = decodeMessage(encodeReplyTo(query, { rcode: Rcode.REFUSED })!);
  assert.equal(reply.header.id, 77);
  assert.equal(reply.header.response, true);
  assert.equal(reply.header.rcode, Rcode.REFUSED);
  assert.deepEqual(reply.questions, decodeMessage(query).questions);
  assert.ok(reply.edns, "a query with OPT gets OPT back (RFC 6891 §7)");
});

Deno.test("encodeReplyTo() makes an empty TC=1 answer for a client sent to TCP", () => {
  const query = makeQuery("www.test.example", RType.A, { id: 78 });
  const reply = decodeMessage(encodeReplyTo(query, { truncated: true })!);
  assert.equal(reply.header.truncated, true);
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.equal(reply.answers.length, 0);
  assert.equal(reply.edns, undefined);
});

Deno.test("encodeReplyTo() answers an undecodable query with a header-only FORMERR", () => {
  // A readable header claiming one question, and no question after it; opcode 0, RD set.
  const raw = new Uint8Array([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61]);
  const reply = encodeReplyTo(raw, { rcode: Rcode.REFUSED })!;
  assert.deepEqual([...reply], [0x12, 0x34, 0x81, Rcode.FORMERR, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("encodeReplyTo() answers nothing without a whole header, nor to a response", () => {
  assert.equal(encodeReplyTo(new Uint8Array([1, 2, 3]), {}), undefined);
  const response = makeQuery("www.test.example", RType.A);
  response[2] |= 0x80;
  assert.equal(encodeReplyTo(response, {}), undefined);
});
