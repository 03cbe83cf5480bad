/**
 * Named reply builders (after miekg/dns SetReply/SetRcode) so no stage does flag arithmetic:
 * a reply copies the query's ID, opcode, RD and CD and echoes its first question; it carries
 * EDNS when the query did, and an Extended DNS Error only then (RFC 8914 needs OPT).
 */
import { encodeExtendedError, type ExtendedError } from "./edns.ts";
import { encodeMessage } from "./message.ts";
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
}

export function buildReply(query: Message, init: ReplyInit = {}): Message {
  const question = query.questions[0];
  return {
    header: {
      id: query.header.id,
      response: true,
      opcode: query.header.opcode,
      authoritative: init.authoritative ?? false,
      truncated: false,
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
