/**
 * The last step before any door sends an answer (DESIGN §5): the client's own transaction ID,
 * the client's own spelling of the question name (so 0x20 case randomisation checks pass), no
 * OPT record for a client that sent none (RFC 6891 §7), padding to 468-byte blocks for a
 * client that padded its query (RFC 8467), and a client-subnet option only of its own
 * (RFC 7871). Always on a copy.
 */
import {
  type ClientSubnet,
  copyQuestionSpelling,
  decodeClientSubnet,
  decodeMessage,
  decrementAdditionalCount,
  EdnsOptionCode,
  encodeClientSubnet,
  encodeMessage,
  findOption,
  type QueryHead,
  setId,
  trailingOptOffset,
  transientCopy,
  withId,
  withoutOpt,
  withPaddedOpt,
} from "../dns/mod.ts";
import type { Answer } from "./types.ts";

/** RFC 8467 §4.1: responses are padded to a multiple of 468 octets. */
export const RESPONSE_PAD_BLOCK = 468;

/**
 * The bytes to send `query`'s client (its head, and `raw`, its bytes as sent) for `answer`,
 * which stays as it is: see the top of this file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   decodeMessage,
 *   EdnsOptionCode,
 *   encodeMessage,
 *   encodeReply,
 *   peekQuery,
 *   RClass,
 *   RType,
 * } from "../dns/mod.ts";
 * import { answerFromBytes } from "./answer_builders.ts";
 * import { finishAnswer, RESPONSE_PAD_BLOCK } from "./finish.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] };
 * const address = { address: "192.0.2.1" };
 * const name = "www.example.com";
 * const record = { name, type: RType.A, class: RClass.IN, ttl: 60, data: address };
 * // The answer as the cache holds it: ID 0, the name in lowercase, an OPT record.
 * const reply = encodeReply({ ...message, edns }, { answers: [record] });
 * const answer = answerFromBytes(reply, "cache");
 *
 * // A client asking with its own ID and case, without EDNS:
 * const raw = encodeMessage({
 *   ...message,
 *   header: { ...message.header, id: 0x4242 },
 *   questions: [{ ...message.questions[0], name: "wWw.ExAmPlE.cOm" }],
 * });
 * const sent = decodeMessage(finishAnswer(answer, peekQuery(raw)!, raw));
 * assert.equal(sent.header.id, 0x4242);
 * assert.equal(sent.questions[0].name, "wWw.ExAmPlE.cOm");
 * assert.equal(sent.edns, undefined, "no OPT for a client that sent none");
 *
 * // A client that pads its queries (browsers do) gets its answer padded (RFC 8467).
 * const pad = { code: EdnsOptionCode.PADDING, data: new Uint8Array(0) };
 * const padded = encodeMessage({ ...message, edns: { ...edns, options: [pad] } });
 * assert.equal(finishAnswer(answer, peekQuery(padded)!, padded).length, RESPONSE_PAD_BLOCK);
 * assert.equal(decodeMessage(answer.bytes).header.id, 0, "the cached bytes are untouched");
 * ```
 */
export function finishAnswer(
  answer: Answer,
  query: QueryHead,
  raw: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (answer.subnetScope !== undefined && query.edns !== undefined) {
    return withOwnSubnet(answer, answer.subnetScope, query, raw);
  }
  if (query.edns === undefined) {
    // One copy, cut before a trailing OPT, in the common case; withoutOpt() for the rest.
    const cut = trailingOptOffset(answer.bytes, answer.ttlOffsets);
    if (cut === undefined) return withoutOpt(patched(withId(answer.bytes, query.id), raw));
    const bytes = patched(ownCopy(answer.bytes, cut, query.id), raw);
    // ARCOUNT: trailingOptOffset saw it counts the OPT.
    if (cut < answer.bytes.length) decrementAdditionalCount(bytes);
    return bytes;
  }
  if (query.edns.padded) {
    // Browsers pad every DoH query: the padded answer is made from the bytes when the OPT is
    // last, as encoders write it: a cached answer pays for no decode and encode (`deno task
    // bench:all`, cached padded row).
    const cut = trailingOptOffset(answer.bytes, answer.ttlOffsets);
    const padded = cut === undefined
      ? undefined
      : withPaddedOpt(answer.bytes, cut, RESPONSE_PAD_BLOCK);
    if (padded !== undefined) return patched(setId(padded, query.id), raw);
  }
  const bytes = patched(ownCopy(answer.bytes, answer.bytes.length, query.id), raw);
  if (!query.edns.padded) return bytes;
  const reply = decodeMessage(bytes);
  return reply.edns === undefined ? bytes : encodeMessage(reply, { padBlock: RESPONSE_PAD_BLOCK });
}

/**
 * RFC 7871 §7.2.2: a reply made for a client subnet goes to each client with its own
 * client-subnet option back (family, source prefix and address as it sent them) and the
 * answer's scope, and to a client that sent none without one: never with the option of the
 * client the answer was first made for (whose address it holds).
 */
function withOwnSubnet(
  answer: Answer,
  scope: number,
  query: QueryHead,
  raw: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const reply = decodeMessage(patched(ownCopy(answer.bytes, answer.bytes.length, query.id), raw));
  const options = (reply.edns?.options ?? []).filter((option) =>
    option.code !== EdnsOptionCode.CLIENT_SUBNET
  );
  const own = query.edns?.clientSubnet ? clientSubnetOf(raw) : undefined;
  if (own !== undefined) options.push(encodeClientSubnet({ ...own, scopePrefix: scope }));
  const edns = reply.edns && { ...reply.edns, options };
  const padBlock = query.edns?.padded ? RESPONSE_PAD_BLOCK : undefined;
  return encodeMessage({ ...reply, edns }, { padBlock });
}

/** The client-subnet option of a query, undefined when it has none that decodes. */
function clientSubnetOf(raw: Uint8Array): ClientSubnet | undefined {
  try {
    const edns = decodeMessage(raw).edns;
    const option = edns && findOption(edns, EdnsOptionCode.CLIENT_SUBNET);
    return option && decodeClientSubnet(option.data);
  } catch {
    return undefined;
  }
}

/**
 * The first `length` bytes with the client's ID. A transient copy: the doors hand the bytes
 * straight to their socket or Response (which copies them again).
 */
function ownCopy(bytes: Uint8Array, length: number, id: number): Uint8Array<ArrayBuffer> {
  if (length < 2) return withId(bytes, id); // its error for what is not a message
  return setId(transientCopy(bytes, length), id);
}

function patched(bytes: Uint8Array<ArrayBuffer>, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  copyQuestionSpelling(bytes, raw);
  return bytes;
}
