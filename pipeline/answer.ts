/**
 * Turning reply bytes into an `Answer`, and the reply builders stages use for answers the
 * gateway makes itself. One walk over the records finds the TTLs and the cacheable lifetime.
 */
import { encodeReply, type Message, Rcode, type ReplyInit, scanRecords } from "../dns/mod.ts";
import type { Answer, AnswerSource } from "./types.ts";

/** Wraps reply bytes (from an upstream, the cache or a local builder) as an `Answer`. */
export function answerFromBytes(bytes: Uint8Array, source: AnswerSource): Answer {
  const scan = scanRecords(bytes);
  return {
    bytes,
    rcode: scan.rcode,
    ttl: cacheLifetime(scan.rcode, scan.answerCount, scan.minTtl, scan.negativeTtl),
    ttlOffsets: scan.ttlOffsets,
    source,
  };
}

/** Builds and encodes a reply to `query` that the gateway answers itself. */
export function replyAnswer(query: Message, init: ReplyInit, source: AnswerSource): Answer {
  return answerFromBytes(encodeReply(query, init), source);
}

/**
 * RFC 8484 §5.1: the HTTP freshness lifetime must not exceed the smallest TTL of the answer;
 * negative answers live as long as RFC 2308 allows; server failures and refusals not at all.
 */
function cacheLifetime(
  rcode: number,
  answerCount: number,
  minTtl: number | undefined,
  negativeTtl: number | undefined,
): number | undefined {
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return undefined;
  if (answerCount > 0) return minTtl;
  return negativeTtl;
}
