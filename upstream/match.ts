/**
 * Deciding whether bytes from the network answer the query we sent (RFC 5452 §9.1): same ID,
 * a response, and the same question (name compared case-insensitively, type, class). Anything
 * else is somebody else's reply or a spoofing attempt, and is ignored, not failed on.
 */
import {
  checkRecords,
  hasHeader,
  isResponse,
  messageId,
  questionCount,
  sameQuestion,
} from "../dns/mod.ts";
import { UpstreamError } from "./errors.ts";

/**
 * A fresh random 16-bit transaction ID (RFC 5452 §4.2: unpredictable), from the runtime's
 * cryptographic generator 256 at a time, so an uncached query does not pay a call into it and
 * an array of its own (`deno task bench:all`, miss rows: server CPU per query).
 */
export function randomId(): number {
  if (nextId === ids.length) {
    crypto.getRandomValues(ids);
    nextId = 0;
  }
  return ids[nextId++];
}

const ids = new Uint16Array(256);
let nextId = ids.length;

/**
 * True when `reply` is a response with our `id` and the question of our `query` (none when it
 * asked none), compared in their bytes (dns/view.ts `sameQuestion`); never throws.
 */
export function isReplyTo(reply: Uint8Array, id: number, query: Uint8Array): boolean {
  if (!hasHeader(reply) || !isResponse(reply) || messageId(reply) !== id) return false;
  if (questionCount(query) === 0) return questionCount(reply) === 0;
  return questionCount(reply) === 1 && sameQuestion(reply, query);
}

/** Throws a "malformed" UpstreamError unless every record of `reply` can be walked. */
export function checkWellFormed(upstream: string, reply: Uint8Array): void {
  try {
    checkRecords(reply);
  } catch (error) {
    throw new UpstreamError(upstream, "malformed", `malformed reply: ${(error as Error).message}`);
  }
}
