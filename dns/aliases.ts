/**
 * The names an answer's CNAME and DNAME records point to: what a resolver must look at to see
 * a name that is an alias of another (CNAME cloaking). Read from the answer section only, in
 * one walk that reads no other record: it runs on every answer the cache keeps, and a full
 * decode of each (every record and name as objects and text) was a large share of what a miss
 * allocated. On a message that decodes, it finds what the decoded records hold
 * (tests/dns/aliases_test.ts compares the two on random answers).
 */
import { RType } from "./constants.ts";
import { answerCount, readerAfterQuestions } from "./view.ts";

const NONE: readonly string[] = Object.freeze([]);

/**
 * The canonical targets of the CNAME and DNAME records of a message's answer section, in order;
 * none when it has no such record, or its header, questions or answer section do not walk.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aliasTargets, decodeMessage, encodeMessage, RClass, RType } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query (www.example.com A), answered through an alias.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = decodeMessage(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * const bytes = encodeMessage({
 *   ...query,
 *   answers: [
 *     { name: "www.example.com", type: RType.CNAME, class: RClass.IN, ttl: 60,
 *       data: { target: "Tracker.Example.net" } },
 *     { name: "tracker.example.net", type: RType.A, class: RClass.IN, ttl: 60,
 *       data: { address: "192.0.2.7" } },
 *   ],
 * });
 * assert.deepEqual(aliasTargets(bytes), ["tracker.example.net"]);
 * assert.deepEqual(aliasTargets(new Uint8Array(3)), [], "not a message");
 * ```
 */
export function aliasTargets(bytes: Uint8Array): readonly string[] {
  let targets: string[] | undefined;
  try {
    const reader = readerAfterQuestions(bytes);
    for (let i = answerCount(bytes); i > 0; i--) {
      reader.skipName();
      const type = reader.u16("record");
      reader.need(6, "record");
      reader.offset += 6;
      const length = reader.u16("record");
      reader.need(length, "rdata");
      const end = reader.offset + length;
      if (type !== RType.CNAME && type !== RType.DNAME) {
        reader.offset = end;
        continue;
      }
      // The target is the whole rdata, as the decoder reads it.
      const outer = reader.limit;
      reader.limit = end;
      const target = reader.canonicalName();
      if (reader.offset !== end) return NONE;
      reader.limit = outer;
      (targets ??= []).push(target);
    }
  } catch {
    return NONE;
  }
  // An array of its exact length: one grown by push keeps room for more, which a cache entry
  // holding the targets would keep as long as it lives.
  return targets === undefined ? NONE : targets.slice();
}
