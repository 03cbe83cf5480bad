/**
 * Turning reply bytes into an `Answer`, and the reply builders stages use for answers the
 * gateway makes itself. One walk over the records finds the TTLs and the cacheable lifetime.
 */
import {
  clientSubnetScope,
  encodeReply,
  type Message,
  Rcode,
  type RecordScan,
  type ReplyInit,
  scanRecords,
} from "../dns/mod.ts";
import type { Answer, AnswerSource } from "./types.ts";

/**
 * Wraps reply bytes (from an upstream, the cache or a local builder) as an `Answer`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, RClass, Rcode, RType } from "../dns/mod.ts";
 * import { answerFromBytes } from "./answer_builders.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const address = { address: "192.0.2.1" };
 * const name = "www.example.com";
 * const record = { name, type: RType.A, class: RClass.IN, ttl: 120, data: address };
 * const reply = encodeReply(decodeMessage(query), { answers: [record] });
 * const answer = answerFromBytes(reply, "cache");
 * assert.equal(answer.rcode, Rcode.NOERROR);
 * assert.equal(answer.source, "cache");
 * assert.equal(answer.ttl, 120, "what HTTP caches may keep it: its smallest TTL");
 * assert.equal(answer.ttlOffsets.length, 1);
 * const failed = encodeReply(decodeMessage(query), { rcode: Rcode.SERVFAIL });
 * assert.equal(answerFromBytes(failed, "upstream").ttl, undefined, "a failure is not kept");
 * ```
 */
export function answerFromBytes(bytes: Uint8Array, source: AnswerSource): Answer {
  return answerOf(bytes, scanRecords(bytes), source);
}

/**
 * An upstream's reply as an `Answer`. RFC 2181 §8: a TTL with its top bit set is read as 0,
 * so such TTLs are zeroed (in a copy) before anything counts on them: a client is never told,
 * nor a cache kept, 4294967295 seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, RClass, RType } from "../dns/mod.ts";
 * import { answerFromUpstream } from "./answer_builders.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const address = { address: "192.0.2.1" };
 * const name = "www.example.com";
 * const record = { name, type: RType.A, class: RClass.IN, ttl: 2 ** 31, data: address };
 * const bytes = encodeReply(decodeMessage(query), { answers: [record] });
 * const answer = answerFromUpstream(bytes);
 * assert.equal(answer.ttl, 0);
 * assert.equal(decodeMessage(answer.bytes).answers[0].ttl, 0);
 * assert.equal(decodeMessage(bytes).answers[0].ttl, 2 ** 31, "zeroed in a copy");
 * ```
 */
export function answerFromUpstream(bytes: Uint8Array): Answer {
  const scan = scanRecords(bytes);
  if (!scan.ttlOffsets.some((at) => bytes[at] >= 0x80)) return answerOf(bytes, scan, "upstream");
  const copy = bytes.slice();
  for (const at of scan.ttlOffsets) if (copy[at] >= 0x80) copy.fill(0, at, at + 4);
  return answerFromBytes(copy, "upstream");
}

function answerOf(bytes: Uint8Array, scan: RecordScan, source: AnswerSource): Answer {
  return {
    bytes,
    rcode: scan.rcode,
    ttl: cacheLifetime(scan.rcode, scan.answerCount, scan.minTtl, scan.negativeTtl),
    ttlOffsets: scan.ttlOffsets,
    source,
    subnetScope: scan.opt && clientSubnetScope(bytes, scan.opt),
  };
}

/**
 * Builds and encodes a reply to `query` that the gateway answers itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, Rcode } from "../dns/mod.ts";
 * import { replyAnswer } from "./answer_builders.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const answer = replyAnswer(decodeMessage(query), { rcode: Rcode.REFUSED }, "guard");
 * assert.equal(answer.rcode, Rcode.REFUSED);
 * assert.equal(answer.source, "guard");
 * assert.equal(decodeMessage(answer.bytes).header.response, true);
 * ```
 */
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
