/**
 * finishAnswer() against the plain composition it shortcuts: the client's ID, its spelling of
 * the name, and no OPT for a client that sent none, over many random answers (OPT last, OPT
 * in the middle, extended rcodes, no question).
 */
import assert from "node:assert/strict";
import {
  buildReply,
  decodeMessage,
  type EdnsOption,
  EdnsOptionCode,
  encodeClientSubnet,
  encodeMessage,
  type Message,
  peekQuery,
  type QueryHead,
  RClass,
  RType,
  withId,
  withoutOpt,
} from "../../dns/mod.ts";
import { answerFromBytes } from "../../pipeline/answer_builders.ts";
import { finishAnswer } from "../../pipeline/finish.ts";
import { makeQuery, queryMessage } from "../support/dns_query.ts";
import { Random, randomMessage, withRandomCase } from "../support/random_messages.ts";

/** The random message's bytes, or undefined for one the encoder refuses. */
function encoded(message: Message): Uint8Array<ArrayBuffer> | undefined {
  try {
    return encodeMessage(message);
  } catch {
    return undefined;
  }
}

/** A query's head with this ID and, when given, this EDNS. */
/** The OPT of a browser's query: EDNS 0, 1232 bytes, padded. */
const PADDED_EDNS: QueryHead["edns"] = {
  version: 0,
  udpSize: 1232,
  dnssecOk: false,
  padded: true,
  clientSubnet: false,
  otherOptions: false,
};

function queryHead(id: number, edns?: QueryHead["edns"]): QueryHead {
  const head: QueryHead = {
    id,
    opcode: 0,
    response: false,
    checkingDisabled: false,
    questionCount: 1,
  };
  if (edns !== undefined) head.edns = edns;
  return head;
}

Deno.test("finishAnswer() for a client without EDNS equals withoutOpt(withId(answer))", () => {
  const random = new Random(0x5eed);
  let cut = 0;
  for (let i = 0; i < 3000; i++) {
    const message = withRandomCase(random, randomMessage(random));
    if (i % 3 === 0) message.header.rcode = random.int(message.edns ? 0x1000 : 0x10);
    const bytes = encoded(message);
    if (bytes === undefined) continue;
    const answer = answerFromBytes(bytes, "upstream");
    const head = queryHead(0x1234);
    const raw = makeQuery("unrelated.example", 1);
    const expected = withoutOpt(withId(bytes, 0x1234));
    assert.deepEqual(finishAnswer(answer, head, raw), expected, `message ${i}`);
    assert.deepEqual(answer.bytes, bytes, "the answer's own bytes are untouched");
    if (expected.length < bytes.length) cut++;
  }
  assert.ok(cut > 100, `OPT removed in ${cut} answers`);
});

Deno.test("finishAnswer() for a client that padded its query equals decoding and re-encoding with padding", () => {
  const random = new Random(0x468);
  const withoutPadding = (message: Message) => ({
    ...message,
    edns: message.edns && {
      ...message.edns,
      options: message.edns.options.filter((option) => option.code !== 12),
    },
  });
  let padded = 0;
  for (let i = 0; i < 3000; i++) {
    const message = withRandomCase(random, randomMessage(random));
    if (message.edns && i % 4 === 0) {
      // An answer that was padded already (an upstream over DoH or DoT), amid other options.
      message.edns.options.splice(random.int(message.edns.options.length + 1), 0, {
        code: 12,
        data: new Uint8Array(random.int(40)),
      });
    }
    const bytes = encoded(message);
    if (bytes === undefined) continue;
    const answer = answerFromBytes(bytes, "upstream");
    const head = queryHead(0x4321, PADDED_EDNS);
    const raw = makeQuery("unrelated.example", 1);
    const ours = finishAnswer(answer, head, raw);
    const decoded = decodeMessage(withId(bytes, 0x4321));
    // A client that sent no client-subnet option gets none back (RFC 7871).
    const noSubnet = decoded.edns && {
      ...decoded,
      edns: { ...decoded.edns, options: decoded.edns.options.filter((o) => o.code !== 8) },
    };
    const reference = noSubnet ? encodeMessage(noSubnet, { padBlock: 468 }) : withId(bytes, 0x4321);
    assert.deepEqual(
      withoutPadding(decodeMessage(ours)),
      withoutPadding(decodeMessage(reference)),
      `message ${i}`,
    );
    assert.deepEqual(answer.bytes, bytes, "the answer's own bytes are untouched");
    if (decoded.edns) {
      assert.equal(ours.length % 468, 0, `message ${i}: ${ours.length} bytes`);
      const options = decodeMessage(ours).edns!.options;
      assert.deepEqual(options.filter((o) => o.code === 12).length, 1);
      assert.equal(options.at(-1)!.code, 12, "the padding option comes last");
      assert.ok(options.at(-1)!.data.every((byte) => byte === 0), "padding is zeros");
      padded++;
    }
  }
  assert.ok(padded > 500, `padded ${padded} answers`);
});

Deno.test("finishAnswer() gives each client its own client-subnet option, never the answer's", () => {
  const subnet = (address: number[], source: number, scope: number) =>
    encodeClientSubnet({
      family: 1,
      sourcePrefix: source,
      scopePrefix: scope,
      address: new Uint8Array(address),
    });
  const name = "geo.example";
  // The answer as an upstream made it for 1.2.3.0/24, valid for its /16.
  const upstream = encodeMessage({
    ...buildReply(queryMessage(name, RType.A, { edns: {} }), {
      answers: [{ name, type: RType.A, class: 1, ttl: 60, data: { address: "192.0.2.5" } }],
    }),
    edns: {
      udpSize: 1232,
      version: 0,
      dnssecOk: false,
      flags: 0,
      options: [subnet([1, 2, 3], 24, 16)],
    },
  });
  const answer = answerFromBytes(upstream, "cache");
  assert.equal(answer.subnetScope, 16);
  const finish = (options: EdnsOption[] | undefined) => {
    const raw = makeQuery(name, RType.A, { id: 7, edns: options && { options } });
    const reply = decodeMessage(finishAnswer(answer, peekQuery(raw)!, raw));
    assert.equal(reply.header.id, 7);
    assert.equal(reply.answers.length, 1);
    return reply.edns?.options.filter((option) => option.code === EdnsOptionCode.CLIENT_SUBNET);
  };
  assert.deepEqual(finish([subnet([1, 2, 9], 24, 0)]), [subnet([1, 2, 9], 24, 16)]);
  assert.deepEqual(finish([subnet([1, 2], 16, 0)]), [subnet([1, 2], 16, 16)]);
  assert.deepEqual(finish([]), [], "a client that sent none gets none");
  assert.equal(finish(undefined), undefined, "a client without EDNS gets no OPT");
  const padding = { code: EdnsOptionCode.PADDING, data: new Uint8Array(8) };
  const raw = makeQuery(name, RType.A, { edns: { options: [subnet([5], 8, 0), padding] } });
  const padded = finishAnswer(answer, peekQuery(raw)!, raw);
  assert.equal(padded.length % 468, 0, "padded as the client asked");
  const options = decodeMessage(padded).edns!.options;
  assert.deepEqual(options.filter((o) => o.code === 8), [subnet([5], 8, 16)]);
});

Deno.test("a padded answer that must be re-encoded keeps the client's spelling and the upstream's case", () => {
  // An extended rcode (BADCOOKIE) keeps the answer from being padded in place.
  const bytes = encodeMessage({
    header: {
      id: 0,
      response: true,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: true,
      zero: false,
      authenticData: false,
      checkingDisabled: false,
      rcode: 23,
    },
    questions: [{ name: "www.example.org", type: RType.HTTPS, class: RClass.IN }],
    answers: [{
      name: "www.example.org",
      type: RType.HTTPS,
      class: RClass.IN,
      ttl: 60,
      data: { priority: 0, target: "Svc.Example.ORG", params: [] },
    }],
    authorities: [],
    additionals: [],
    edns: { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] },
  });
  const head = queryHead(7, PADDED_EDNS);
  const raw = makeQuery("WwW.Example.ORG", RType.HTTPS, { edns: {} });
  const ours = finishAnswer(answerFromBytes(bytes, "upstream"), head, raw);
  assert.equal(ours.length % 468, 0, "padded");
  const reply = decodeMessage(ours);
  assert.equal(reply.questions[0].name, "WwW.Example.ORG");
  assert.equal((reply.answers[0].data as { target: string }).target, "Svc.Example.ORG");
});
