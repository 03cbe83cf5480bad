/**
 * Named reply builders (after miekg/dns SetReply/SetRcode) so no stage does flag arithmetic:
 * a reply copies the query's ID, opcode, RD and CD and echoes its first question; it carries
 * EDNS when the query did, and an Extended DNS Error only then (RFC 8914 needs OPT).
 */
import { encodeExtendedError, type ExtendedError } from "./edns.ts";
import { Rcode } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import { decodeMessage, encodeMessage, HEADER_SIZE } from "./message.ts";
import { hasHeader, isResponse } from "./view.ts";
import type { Message, ResourceRecord } from "./types.ts";

/** The UDP payload size the gateway advertises (DNS Flag Day 2020). */
export const REPLY_UDP_SIZE = 1232;

export interface ReplyInit {
  rcode?: number;
  authoritative?: boolean;
  answers?: ResourceRecord[];
  authorities?: ResourceRecord[];
  additionals?: ResourceRecord[];
  ede?: ExtendedError;
  /** TC=1: the answer did not fit, ask again over TCP. */
  truncated?: boolean;
}

/**
 * The reply to `query` as a message: its ID, opcode, RD and CD, its first question echoed, RA
 * set, and EDNS (our UDP size, the query's DO bit, `init.ede`) only when the query had it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildReply, decodeMessage, EdeCode, Rcode } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const reply = buildReply(decodeMessage(query), {
 *   rcode: Rcode.REFUSED,
 *   ede: { infoCode: EdeCode.PROHIBITED, text: "not here" },
 * });
 * assert.equal(reply.header.response, true);
 * assert.equal(reply.header.recursionDesired, true, "copied from the query");
 * assert.equal(reply.header.rcode, Rcode.REFUSED);
 * assert.equal(reply.questions[0].name, "www.example.com");
 * assert.equal(reply.edns, undefined, "no OPT for a query without one, so no EDE either");
 * ```
 */
export function buildReply(query: Message, init: ReplyInit = {}): Message {
  const question = query.questions[0];
  return {
    header: {
      id: query.header.id,
      response: true,
      opcode: query.header.opcode,
      authoritative: init.authoritative ?? false,
      truncated: init.truncated ?? false,
      recursionDesired: query.header.recursionDesired,
      recursionAvailable: true,
      zero: false,
      authenticData: false,
      checkingDisabled: query.header.checkingDisabled,
      rcode: query.edns === undefined ? (init.rcode ?? 0) & 0xf : init.rcode ?? 0,
    },
    questions: question === undefined ? [] : [question],
    answers: init.answers ?? [],
    authorities: init.authorities ?? [],
    additionals: init.additionals ?? [],
    ...(query.edns === undefined ? {} : {
      edns: {
        udpSize: REPLY_UDP_SIZE,
        version: 0,
        dnssecOk: query.edns.dnssecOk,
        flags: 0,
        options: init.ede ? [encodeExtendedError(init.ede)] : [],
      },
    }),
  };
}

/**
 * `buildReply` in wire format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, RClass, RType } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const address = { address: "192.0.2.1" };
 * const name = "www.example.com";
 * const answer = { name, type: RType.A, class: RClass.IN, ttl: 60, data: address };
 * const reply = decodeMessage(encodeReply(decodeMessage(query), { answers: [answer] }));
 * assert.equal(reply.header.response, true);
 * assert.deepEqual(reply.answers, [answer]);
 * ```
 */
export function encodeReply(query: Message, init?: ReplyInit): Uint8Array<ArrayBuffer> {
  return encodeMessage(buildReply(query, init));
}

/**
 * A reply for doors that answer a raw query without the pipeline (a refused client, a rate
 * limited one): `init` with the question echoed when the query decodes, a header-only FORMERR
 * when it does not (RFC 1035 §4.1.1), and undefined when there is nothing safe to answer: no
 * whole header, or a message that is itself a response (answering those can loop between two
 * servers or reflect at a spoofed victim).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReplyTo, Rcode } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const refused = encodeReplyTo(query, { rcode: Rcode.REFUSED })!;
 * assert.equal(decodeMessage(refused).header.rcode, Rcode.REFUSED);
 * assert.deepEqual(decodeMessage(refused).questions, decodeMessage(query).questions);
 * // What does not decode gets a header-only FORMERR with its ID...
 * const formerr = encodeReplyTo(query.subarray(0, 20), { rcode: Rcode.REFUSED })!;
 * assert.equal(decodeMessage(formerr).header.rcode, Rcode.FORMERR);
 * assert.equal(formerr.length, 12);
 * // ...and a response gets nothing: answering it could loop or reflect.
 * assert.equal(encodeReplyTo(refused, { rcode: Rcode.REFUSED }), undefined);
 * ```
 */
export function encodeReplyTo(
  raw: Uint8Array,
  init: ReplyInit,
): Uint8Array<ArrayBuffer> | undefined {
  if (!hasHeader(raw) || isResponse(raw)) return undefined;
  try {
    return encodeReply(decodeMessage(raw), init);
  } catch (error) {
    if (!(error instanceof DnsWireError)) throw error;
  }
  const reply = new Uint8Array(HEADER_SIZE);
  reply.set(raw.subarray(0, 2));
  // QR, the query's opcode and RD; everything else zero; no sections.
  reply[2] = 0x80 | (raw[2] & 0x79);
  reply[3] = Rcode.FORMERR;
  return reply;
}
