/**
 * Deciding whether bytes from the network answer the query we sent (RFC 5452 §9.1): same ID,
 * a response, and the same question (name compared case-insensitively, type, class). Anything
 * else is somebody else's reply or a spoofing attempt, and is ignored, not failed on.
 */
import { isSameName, peekQuestion, type Question, scanRecords } from "../dns/mod.ts";
import { UpstreamError } from "./errors.ts";

/** What a reply must echo; `question` is undefined for a query without one. */
export interface Expected {
  id: number;
  question: Question | undefined;
}

/** The question of a query we are about to send; a query we cannot read is a caller bug. */
export function questionOf(query: Uint8Array): Question | undefined {
  try {
    return peekQuestion(query).question;
  } catch (error) {
    throw new TypeError(`cannot forward a malformed query: ${(error as Error).message}`);
  }
}

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

/** True when `reply` is a response with our ID and question; never throws. */
export function isReplyTo(reply: Uint8Array, expected: Expected): boolean {
  let view;
  try {
    view = peekQuestion(reply);
  } catch {
    return false;
  }
  if (!view.response || view.id !== expected.id) return false;
  const question = expected.question;
  if (question === undefined) return view.qdcount === 0;
  return view.qdcount === 1 && view.question !== undefined &&
    view.question.type === question.type && view.question.class === question.class &&
    isSameName(view.question.name, question.name);
}

/** Throws a "malformed" UpstreamError unless every record of `reply` can be walked. */
export function checkWellFormed(upstream: string, reply: Uint8Array): void {
  try {
    scanRecords(reply);
  } catch (error) {
    throw new UpstreamError(upstream, "malformed", `malformed reply: ${(error as Error).message}`);
  }
}
