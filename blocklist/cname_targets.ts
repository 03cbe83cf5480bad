/**
 * The CNAME and DNAME targets of an answer, which the blocklist stage checks as it checks the
 * question's name: a tracker behind a first-party alias (CNAME cloaking) is blocked as the
 * tracker. Read once per answer's bytes (a cache hit hands out the same bytes until its TTLs
 * next move), and only the answer section is looked at.
 */
import { canonicalName, decodeMessage, RType } from "../dns/mod.ts";
import type { Answer } from "../pipeline/types.ts";

const NONE: readonly string[] = Object.freeze([]);
const read = new WeakMap<Uint8Array, readonly string[]>();

/**
 * The canonical names the answer's CNAME and DNAME records point to, in order; none for an
 * answer the stages made themselves (local, blocked, refused) or one that does not decode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, RClass, RType } from "../dns/mod.ts";
 * import { answerFromBytes } from "../pipeline/answer_builders.ts";
 * import { cnameTargets } from "./cname_targets.ts";
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
 * assert.deepEqual(cnameTargets(answerFromBytes(bytes, "upstream")), ["tracker.example.net"]);
 * assert.deepEqual(cnameTargets(answerFromBytes(bytes, "local")), [], "our own answers");
 * ```
 */
export function cnameTargets(answer: Answer): readonly string[] {
  const source = answer.source;
  if (source !== "upstream" && source !== "cache" && source !== "stale") return NONE;
  let targets = read.get(answer.bytes);
  if (targets === undefined) {
    targets = targetsOf(answer.bytes);
    read.set(answer.bytes, targets);
  }
  return targets;
}

function targetsOf(bytes: Uint8Array): readonly string[] {
  let answers;
  try {
    answers = decodeMessage(bytes).answers;
  } catch {
    return NONE;
  }
  const targets: string[] = [];
  for (const record of answers) {
    if (record.type !== RType.CNAME && record.type !== RType.DNAME) continue;
    const target = (record.data as { target?: unknown }).target;
    if (typeof target === "string") targets.push(canonicalName(target));
  }
  return targets.length === 0 ? NONE : targets;
}
