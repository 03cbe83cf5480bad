/**
 * The names an answer's CNAME and DNAME records point to: what a resolver must look at to see
 * a name that is an alias of another (CNAME cloaking). Read from the answer section only.
 */
import { RType } from "./constants.ts";
import { decodeMessage } from "./message.ts";
import { canonicalName } from "./name.ts";

const NONE: readonly string[] = Object.freeze([]);

/**
 * The canonical targets of the CNAME and DNAME records of a message's answer section, in order;
 * none when it has no such record or does not decode.
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
  let answers;
  try {
    answers = decodeMessage(bytes).answers;
  } catch {
    return NONE;
  }
  let targets: string[] | undefined;
  for (const record of answers) {
    if (record.type !== RType.CNAME && record.type !== RType.DNAME) continue;
    const target = (record.data as { target?: unknown }).target;
    if (typeof target === "string") (targets ??= []).push(canonicalName(target));
  }
  return targets ?? NONE;
}
