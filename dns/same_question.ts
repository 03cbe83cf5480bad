/**
 * Whether a message asks a given question, read in its bytes: no text, no object. A forwarded
 * query's reply is checked against the query (RFC 5452 §9.1) and a kept answer against the
 * question asked, on every miss; a `peekQuestion` of each (a view, a question and a name's
 * text) was the largest item a miss allocated. They say what the plain way says, a
 * `peekQuestion` of each compared field by field (tests/dns/same_question_test.ts compares them
 * on random and damaged messages): names alike whatever the case of their letters, compression
 * followed under the reader's rules (dns/reader.ts: pointers only backwards, 255 octets), and
 * false for a malformed header or first question. A first question starts right after the
 * header, so its pointers can only lead into the header's 12 bytes: the reader's cap on hops
 * is never reached here.
 */
import { HEADER_SIZE } from "./message.ts";
import { canonicalByteText } from "./name.ts";
import { MAX_NAME_OCTETS } from "./reader.ts";

/**
 * Where the walk of a name stands: the offset of its next label, the start of the label run
 * that offset is in (a pointer must point before it), octets so far and where the name's own
 * bytes end (after its first pointer). Walks are synchronous: two serve all.
 */
const AT = 0, RUN = 1, OCTETS = 2, END = 3;
const FIRST = new Int32Array(4);
const SECOND = new Int32Array(4);

/** Starts the walk of the name at `at`. */
function begin(walk: Int32Array, at: number): void {
  walk[AT] = walk[RUN] = at;
  walk[OCTETS] = 1;
  walk[END] = -1;
}

/**
 * The offset of the walk's next label's length octet, pointers followed, checked to be whole;
 * -1 when the name is malformed. A length of 0 is the name's end: `END` is then set.
 */
function nextLabel(bytes: Uint8Array, walk: Int32Array): number {
  let at = walk[AT];
  while (true) {
    if (at >= bytes.length) return -1;
    const length = bytes[at];
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= bytes.length) return -1;
      const target = ((length & 0x3f) << 8) | bytes[at + 1];
      if (target >= walk[RUN]) return -1;
      if (walk[END] < 0) walk[END] = at + 2;
      at = walk[RUN] = target;
      continue;
    }
    if (kind !== 0) return -1;
    if (length === 0) {
      if (walk[END] < 0) walk[END] = at + 1;
    } else {
      walk[OCTETS] += length + 1;
      if (walk[OCTETS] > MAX_NAME_OCTETS || at + 1 + length > bytes.length) return -1;
    }
    walk[AT] = at + 1 + length;
    return at;
  }
}

function foldCase(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

const u16 = (bytes: Uint8Array, at: number) => (bytes[at] << 8) | bytes[at + 1];

/** True when TYPE and CLASS are whole after a name whose own bytes end at `end`, and are these. */
function hasTypeAndClass(bytes: Uint8Array, end: number, type: number, klass: number): boolean {
  return end + 4 <= bytes.length && u16(bytes, end) === type && u16(bytes, end + 2) === klass;
}

/**
 * True when `a` and `b` both hold a first question and it is the same one: the names alike
 * whatever the case of their letters, the same type and class. False when either header or
 * first question is malformed, or either has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, sameQuestion } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * const ask = (name: string, type = 1) =>
 *   encodeMessage({ ...message, questions: [{ name, type, class: 1 }] });
 * assert.equal(sameQuestion(query, ask("WWW.Example.COM")), true, "case does not count");
 * assert.equal(sameQuestion(query, ask("www.example.net")), false);
 * assert.equal(sameQuestion(query, ask("www.example.com", 28)), false, "AAAA is another");
 * assert.equal(sameQuestion(query, query.subarray(0, 20)), false, "a question cut short");
 * ```
 */
export function sameQuestion(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length < HEADER_SIZE || b.length < HEADER_SIZE) return false;
  if (u16(a, 4) === 0 || u16(b, 4) === 0) return false;
  begin(FIRST, HEADER_SIZE);
  begin(SECOND, HEADER_SIZE);
  while (true) {
    const at = nextLabel(a, FIRST);
    const bt = nextLabel(b, SECOND);
    if (at < 0 || bt < 0) return false;
    const length = a[at];
    if (length !== b[bt]) return false;
    if (length === 0) break;
    for (let i = 1; i <= length; i++) {
      if (foldCase(a[at + i]) !== foldCase(b[bt + i])) return false;
    }
  }
  const end = FIRST[END];
  return end + 4 <= a.length &&
    hasTypeAndClass(b, SECOND[END], u16(a, end), u16(a, end + 2));
}

/**
 * True when the first question of `bytes` is `question`: its name the same as the text (as
 * the codec writes names: dns/name.ts) whatever the case of their letters, its type and class
 * the same. False when the header or first question is malformed, or there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasQuestion, RClass, RType } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const asked = { name: "WWW.example.com", type: RType.A, class: RClass.IN };
 * assert.equal(hasQuestion(query, asked), true);
 * assert.equal(hasQuestion(query, { ...asked, name: "example.com" }), false);
 * assert.equal(hasQuestion(query, { ...asked, type: RType.AAAA }), false);
 * ```
 */
export function hasQuestion(
  bytes: Uint8Array,
  question: { name: string; type: number; class: number },
): boolean {
  if (bytes.length < HEADER_SIZE || u16(bytes, 4) === 0) return false;
  const text = question.name;
  let to = 0;
  begin(FIRST, HEADER_SIZE);
  for (let labels = 0;; labels++) {
    const at = nextLabel(bytes, FIRST);
    if (at < 0) return false;
    const length = bytes[at];
    if (length === 0) break;
    if (labels > 0 && text.charCodeAt(to++) !== 0x2e) return false;
    for (let i = at + 1; i <= at + length; i++) {
      const spelled = canonicalByteText(bytes[i]);
      for (let c = 0; c < spelled.length; c++) {
        if (foldCase(text.charCodeAt(to++)) !== spelled.charCodeAt(c)) return false;
      }
    }
  }
  // What is left may be a final dot, as canonicalName drops it (not an escaped one).
  const rest = text.length - to;
  if (
    rest !== 0 && (rest !== 1 || text.charCodeAt(to) !== 0x2e || text.charCodeAt(to - 1) === 0x5c)
  ) {
    return false;
  }
  return hasTypeAndClass(bytes, FIRST[END], question.type, question.class);
}
