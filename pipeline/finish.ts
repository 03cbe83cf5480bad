/**
 * The last step before any door sends an answer (DESIGN §5): the client's own transaction ID,
 * the client's own spelling of the question name (so 0x20 case randomisation checks pass), no
 * OPT record for a client that sent none (RFC 6891 §7), padding to 468-byte blocks for a
 * client that padded its query (RFC 8467), and a client-subnet option only of its own
 * (RFC 7871). Always on a copy.
 */
import {
  type ClientSubnet,
  decodeClientSubnet,
  decodeMessage,
  EdnsOptionCode,
  encodeClientSubnet,
  encodeMessage,
  findOption,
  type QueryHead,
  transientBytes,
  transientCopy,
  withId,
  withoutOpt,
} from "../dns/mod.ts";
import type { Answer } from "./types.ts";

/** RFC 8467 §4.1: responses are padded to a multiple of 468 octets. */
export const RESPONSE_PAD_BLOCK = 468;

const HEADER_SIZE = 12;

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
 * import { answerFromBytes } from "./answer.ts";
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
    const cut = trailingOptCut(answer);
    if (cut === undefined) return withoutOpt(patched(withId(answer.bytes, query.id), raw));
    const bytes = patched(ownCopy(answer.bytes, cut, query.id), raw);
    if (cut < answer.bytes.length) bytes[11]--; // ARCOUNT: trailingOptCut saw it counts the OPT
    return bytes;
  }
  if (query.edns.padded) {
    // Browsers pad every DoH query: the padded answer is made from the bytes when the OPT is
    // last, as encoders write it: a cached answer pays for no decode and encode (`deno task
    // bench:all`, cached padded row).
    const cut = trailingOptCut(answer);
    const padded = cut === undefined ? undefined : paddedCopy(answer.bytes, cut);
    if (padded !== undefined) return patched(withIdInPlace(padded, query.id), raw);
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

const PADDING_OPTION = EdnsOptionCode.PADDING;
/** Root owner, type, class, TTL and RDLENGTH: where an OPT's options begin. */
const OPT_FIXED = 11;

/**
 * A copy of a reply whose OPT record starts at `cut` and ends the message, padded to
 * RESPONSE_PAD_BLOCK bytes: the OPT's other options kept in order, any padding it had
 * replaced by a padding option of zeros. The message itself when it has no OPT (nothing to
 * pad, as the decoding path does), copied; undefined when the options do not walk to the OPT's end.
 */
function paddedCopy(bytes: Uint8Array, cut: number): Uint8Array<ArrayBuffer> | undefined {
  if (cut === bytes.length) return transientCopy(bytes);
  const u16 = (at: number) => (bytes[at] << 8) | bytes[at + 1];
  const options = cut + OPT_FIXED;
  let kept = 0;
  for (let at = options; at < bytes.length;) {
    if (at + 4 > bytes.length) return undefined;
    const size = 4 + u16(at + 2);
    if (at + size > bytes.length) return undefined;
    if (u16(at) !== PADDING_OPTION) kept += size;
    at += size;
  }
  const bare = options + kept + 4;
  const fill = (RESPONSE_PAD_BLOCK - bare % RESPONSE_PAD_BLOCK) % RESPONSE_PAD_BLOCK;
  // Zeroed: the padding option's content is already in place.
  const out = transientBytes(bare + fill);
  out.set(bytes.subarray(0, options));
  let to = options;
  for (let at = options; at < bytes.length;) {
    const size = 4 + u16(at + 2);
    if (u16(at) !== PADDING_OPTION) {
      out.set(bytes.subarray(at, at + size), to);
      to += size;
    }
    at += size;
  }
  const rdata = bare + fill - options;
  out[cut + 9] = rdata >> 8;
  out[cut + 10] = rdata & 0xff;
  out[to] = PADDING_OPTION >> 8;
  out[to + 1] = PADDING_OPTION & 0xff;
  out[to + 2] = fill >> 8;
  out[to + 3] = fill & 0xff;
  return out;
}

function withIdInPlace(bytes: Uint8Array<ArrayBuffer>, id: number): Uint8Array<ArrayBuffer> {
  bytes[0] = id >> 8;
  bytes[1] = id & 0xff;
  return bytes;
}

/**
 * The first `length` bytes with the client's ID. A transient copy: the doors hand the bytes
 * straight to their socket or Response (which copies them again).
 */
function ownCopy(bytes: Uint8Array, length: number, id: number): Uint8Array<ArrayBuffer> {
  if (length < 2) return withId(bytes, id); // its error for what is not a message
  return withIdInPlace(transientCopy(bytes, length), id);
}

function patched(bytes: Uint8Array<ArrayBuffer>, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  copyQuestionSpelling(bytes, raw);
  return bytes;
}

/**
 * Where to cut the answer to drop its OPT record without decoding it: its length when it has
 * no OPT, the OPT's offset when the OPT is the last record (as encoders write it) with no
 * extended rcode bits, and no ARCOUNT borrow; undefined for anything else. Found from the
 * answer's TTL offsets (every record but OPT has one, in order): the OPT is whatever follows
 * the last of them.
 */
function trailingOptCut(answer: Answer): number | undefined {
  const { bytes, ttlOffsets } = answer;
  if (bytes.length < HEADER_SIZE) return undefined;
  const u16 = (at: number) => (bytes[at] << 8) | bytes[at + 1];
  const records = u16(6) + u16(8) + u16(10);
  let end: number | undefined;
  if (ttlOffsets.length > 0) {
    const last = ttlOffsets[ttlOffsets.length - 1];
    end = last + 6 + u16(last + 4);
  } else if (u16(4) === 1) {
    const nameEndsAt = nameEnd(bytes, HEADER_SIZE);
    end = nameEndsAt === undefined ? undefined : nameEndsAt + 4;
  }
  if (end === undefined) return undefined;
  if (records === ttlOffsets.length) return end === bytes.length ? end : undefined;
  if (records !== ttlOffsets.length + 1 || bytes[11] === 0) return undefined;
  // A root-owned OPT (type 41) with no extended rcode, ending the message.
  if (bytes[end] !== 0 || u16(end + 1) !== 41 || bytes[end + 5] !== 0) return undefined;
  return end + 11 + u16(end + 9) === bytes.length ? end : undefined;
}

/**
 * Copies the client's question name over the reply's when they are the same name in another
 * case. Both sit uncompressed right after the header (nothing precedes them to point to), and
 * equal names have equal length, so the copy moves no other byte.
 */
function copyQuestionSpelling(reply: Uint8Array, raw: Uint8Array): void {
  const end = nameEnd(raw, HEADER_SIZE);
  if (end === undefined || reply.length < end) return;
  let same = true;
  for (let i = HEADER_SIZE; i < end; i++) {
    if (reply[i] === raw[i]) continue;
    if (foldCase(reply[i]) !== foldCase(raw[i])) return;
    same = false;
  }
  if (same) return;
  for (let i = HEADER_SIZE; i < end; i++) reply[i] = raw[i];
}

/** End of the uncompressed name at `offset`, or undefined when it is not a plain label run. */
function nameEnd(bytes: Uint8Array, offset: number): number | undefined {
  let at = offset;
  while (at < bytes.length) {
    const length = bytes[at];
    if (length === 0) return at + 1;
    if (length > 63) return undefined;
    at += 1 + length;
  }
  return undefined;
}

function foldCase(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}
