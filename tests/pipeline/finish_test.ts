/**
 * finishAnswer() against the plain composition it shortcuts: the client's ID, its spelling of
 * the name, and no OPT for a client that sent none, over many random answers (OPT last, OPT
 * in the middle, extended rcodes, no question).
 */
import assert from "node:assert/strict";
import { encodeMessage, type QueryHead, withId, withoutOpt } from "../../dns/mod.ts";
import { answerFromBytes } from "../../pipeline/answer.ts";
import { finishAnswer } from "../../pipeline/finish.ts";
import { makeQuery } from "../support/dns_query.ts";
import { Random, randomMessage } from "../support/random_messages.ts";

Deno.test("finishAnswer() for a client without EDNS equals withoutOpt(withId(answer))", () => {
  const random = new Random(0x5eed);
  let cut = 0;
  for (let i = 0; i < 3000; i++) {
    const message = randomMessage(random);
    if (i % 3 === 0) message.header.rcode = random.int(message.edns ? 0x1000 : 0x10);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = encodeMessage(message);
    } catch {
      continue;
    }
    const answer = answerFromBytes(bytes, "upstream");
    const head: QueryHead = {
      id: 0x1234,
      opcode: 0,
      response: false,
      checkingDisabled: false,
      questionCount: 1,
    };
    const raw = makeQuery("unrelated.example", 1);
    const expected = withoutOpt(withId(bytes, 0x1234));
    assert.deepEqual(finishAnswer(answer, head, raw), expected, `message ${i}`);
    assert.deepEqual(answer.bytes, bytes, "the answer's own bytes are untouched");
    if (expected.length < bytes.length) cut++;
  }
  assert.ok(cut > 100, `OPT removed in ${cut} answers`);
});
