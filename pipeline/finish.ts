/**
 * The last step before any door sends an answer (DESIGN §5): the client's own transaction ID,
 * the client's own spelling of the question name (so 0x20 case randomisation checks pass), no
 * OPT record for a client that sent none (RFC 6891 §7), and padding to 468-byte blocks for a
 * client that padded its query (RFC 8467). Always on a copy.
 */
import { decodeMessage, encodeMessage, type QueryHead, withId, withoutOpt } from "../dns/mod.ts";
import type { Answer } from "./types.ts";

/** RFC 8467 §4.1: responses are padded to a multiple of 468 octets. */
export const RESPONSE_PAD_BLOCK = 468;

const HEADER_SIZE = 12;

export function finishAnswer(
  answer: Answer,
  query: QueryHead,
  raw: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const bytes = withId(answer.bytes, query.id);
  copyQuestionSpelling(bytes, raw);
  if (query.edns === undefined) return withoutOpt(bytes);
  if (!query.edns.padded) return bytes;
  const reply = decodeMessage(bytes);
  return reply.edns === undefined ? bytes : encodeMessage(reply, { padBlock: RESPONSE_PAD_BLOCK });
}

/**
 * Copies the client's question name over the reply's when they are the same name in another
 * case. Both sit uncompressed right after the header (nothing precedes them to point to), and
 * equal names have equal length, so the copy moves no other byte.
 */
function copyQuestionSpelling(reply: Uint8Array, raw: Uint8Array): void {
  const end = nameEnd(raw, HEADER_SIZE);
  if (end === undefined || reply.length < end) return;
  for (let i = HEADER_SIZE; i < end; i++) {
    if (foldCase(reply[i]) !== foldCase(raw[i])) return;
  }
  reply.set(raw.subarray(HEADER_SIZE, end), HEADER_SIZE);
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
