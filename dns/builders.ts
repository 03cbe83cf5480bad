/**
 * Named reply builders (after miekg/dns SetReply/SetRcode) so no stage does flag arithmetic:
 * a reply copies the query's ID, opcode, RD and CD and echoes its first question; it carries
 * EDNS when the query did, and an Extended DNS Error only then (RFC 8914 needs OPT).
 */
import { encodeExtendedError, type ExtendedError } from "./edns.ts";
import { Rcode } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import { decodeMessage, encodeMessage, HEADER_SIZE } from "./message.ts";
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

export function encodeReply(query: Message, init?: ReplyInit): Uint8Array<ArrayBuffer> {
  return encodeMessage(buildReply(query, init));
}

/**
 * A reply for doors that answer a raw query without the pipeline (a refused client, a rate
 * limited one): `init` with the question echoed when the query decodes, a header-only FORMERR
 * when it does not (RFC 1035 §4.1.1), and undefined when there is nothing safe to answer: no
 * whole header, or a message that is itself a response (answering those can loop between two
 * servers or reflect at a spoofed victim).
 */
export function encodeReplyTo(
  raw: Uint8Array,
  init: ReplyInit,
): Uint8Array<ArrayBuffer> | undefined {
  if (raw.length < HEADER_SIZE || (raw[2] & 0x80) !== 0) return undefined;
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
