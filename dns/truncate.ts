/**
 * Fitting an answer into one UDP datagram (RFC 1035 §4.2.1, RFC 6891 §6.2.5 and §7, RFC 2181
 * §9): a client without EDNS takes 512 bytes, a client with EDNS its advertised size (never
 * less than 512), capped by what the server is willing to send. An answer that is too big is
 * cut at a record boundary: the header, the question and the OPT record stay, the records that
 * do not fit go, and TC=1 tells the client to ask again over TCP -- unless only additional
 * records had to go, which RFC 2181 §9 says is no reason for TC.
 */
import { RType } from "./constants.ts";
import { afterQuestions } from "./view.ts";

/** RFC 1035 §4.2.1: the UDP payload every client takes. */
export const MIN_UDP_SIZE = 512;

/**
 * The largest answer `clientSize` (undefined: the query had no EDNS) allows, capped by `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { udpPayloadLimit } from "./mod.ts";
 *
 * assert.equal(udpPayloadLimit(undefined, 1232), 512, "no EDNS: RFC 1035's 512 bytes");
 * assert.equal(udpPayloadLimit(4096, 1232), 1232, "never more than we are willing to send");
 * assert.equal(udpPayloadLimit(1000, 1232), 1000);
 * assert.equal(udpPayloadLimit(100, 1232), 512, "never less than 512");
 * ```
 */
export function udpPayloadLimit(clientSize: number | undefined, max: number): number {
  if (clientSize === undefined) return MIN_UDP_SIZE;
  return Math.max(MIN_UDP_SIZE, Math.min(clientSize, max));
}

const TC = 0x02; // in the high byte of the flags word

/**
 * The answer itself when it fits in `limit` bytes; otherwise a shortened copy at most `limit`
 * bytes long (unless header, question and OPT alone are longer). Only a prefix of the records
 * is kept, so compression pointers -- which point backwards -- stay valid.
 * Throws DnsWireError on a malformed message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, RClass, RType, truncateAnswer } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const answers = Array.from({ length: 40 }, (_, i) => ({
 *   name: "www.example.com",
 *   type: RType.A,
 *   class: RClass.IN,
 *   ttl: 60,
 *   data: { address: `192.0.2.${i}` },
 * }));
 * const reply = encodeReply(decodeMessage(query), { answers });
 * assert.ok(reply.length > 512);
 * const cut = truncateAnswer(reply, 512);
 * assert.ok(cut.length <= 512);
 * const message = decodeMessage(cut);
 * assert.equal(message.header.truncated, true, "TC: ask again over TCP");
 * assert.ok(message.answers.length > 0 && message.answers.length < 40);
 * assert.equal(truncateAnswer(cut, 512), cut, "what fits is returned as it is");
 * ```
 */
export function truncateAnswer(bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.length <= limit) return bytes;
  const { reader, counts } = afterQuestions(bytes);
  let cut = reader.offset;
  // Record ends in order, with their section; the OPT record on its own.
  const ends: number[] = [];
  const sections: number[] = [];
  let opt: { start: number; afterName: number; end: number } | undefined;
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]; i++) {
      const start = reader.offset;
      reader.skipName();
      const afterName = reader.offset;
      const type = reader.u16("record");
      reader.need(8, "record");
      reader.offset += 6;
      const length = reader.u16("record");
      reader.need(length, "rdata");
      reader.offset += length;
      if (type === RType.OPT && opt === undefined) opt = { start, afterName, end: reader.offset };
      else {
        ends.push(reader.offset);
        sections.push(section);
      }
    }
  }
  // OPT keeps its place at the end; its owner is always the root (RFC 6891 §6.1.2).
  const optLength = opt === undefined ? 0 : 1 + opt.end - opt.afterName;
  const budget = limit - optLength;
  let kept = 0;
  // Keep records while they fit and come before OPT (records after it would have to move).
  while (
    kept < ends.length && ends[kept] <= budget && (opt === undefined || ends[kept] <= opt.start)
  ) {
    cut = ends[kept];
    kept++;
  }
  const out = new Uint8Array(cut + optLength);
  out.set(bytes.subarray(0, cut));
  const keptIn = [0, 0, 0];
  for (let i = 0; i < kept; i++) keptIn[sections[i]]++;
  const view = new DataView(out.buffer);
  view.setUint16(6, keptIn[0]);
  view.setUint16(8, keptIn[1]);
  view.setUint16(10, keptIn[2] + (opt === undefined ? 0 : 1));
  if (opt !== undefined) {
    out[cut] = 0;
    out.set(bytes.subarray(opt.afterName, opt.end), cut + 1);
  }
  if (keptIn[0] < counts[0] || keptIn[1] < counts[1]) out[2] |= TC;
  return out;
}
