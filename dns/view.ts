/**
 * The codec's lazy view of a message's bytes (DESIGN §4), as NLnet Labs' `domain` has its
 * `Message`: the header and first question, for routing and cache keys; one walk over the records
 * for TTL offsets, the minimum TTL and the OPT record, for caching and Cache-Control; named
 * accessors for the header's fields; and byte-level patches, in place or on a copy. Only `dns/`
 * knows where a field of a message sits: every other folder reads and patches bytes through
 * these (tests/dns/fixed_offsets_test.ts keeps it so). The accessors allocate nothing, so a
 * door's cached answer costs what it did with raw offsets.
 */
import { EdnsOptionCode, HOP_BY_HOP_OPTIONS, RClass, Rcode, RType } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import { decodeMessage, encodeMessage, HEADER_SIZE } from "./message.ts";
import { canonicalByteText, canonicalName } from "./name.ts";
import { MAX_NAME_OCTETS, WireReader } from "./reader.ts";
import { transientBytes, transientCopy } from "./transient.ts";
import type { Message, Question } from "./types.ts";

export interface QuestionView {
  id: number;
  /** The raw 16-bit flags word. */
  flags: number;
  opcode: number;
  response: boolean;
  truncated: boolean;
  /** The header's 4 rcode bits (without EDNS extended bits). */
  rcode4: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  /** The first question (its name canonical: lowercase), undefined when QDCOUNT is 0. */
  question?: Question;
  /** Offset just after the first question (12 when there is none). */
  questionEnd: number;
}

/**
 * The header and the first question (its name canonical: lowercase), without decoding
 * further; throws DnsWireError when those are malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peekQuestion, RClass, RType } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const view = peekQuestion(query);
 * assert.equal(view.id, 0);
 * assert.equal(view.qdcount, 1);
 * assert.deepEqual(view.question, { name: "www.example.com", type: RType.A, class: RClass.IN });
 * assert.equal(view.questionEnd, query.length, "nothing follows the question here");
 * ```
 */
export function peekQuestion(bytes: Uint8Array): QuestionView {
  const reader = new WireReader(bytes);
  reader.need(HEADER_SIZE, "header");
  const id = reader.u16();
  const flags = reader.u16();
  const view: QuestionView = {
    id,
    flags,
    opcode: (flags >> 11) & 0xf,
    response: (flags & 0x8000) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode4: flags & 0xf,
    qdcount: reader.u16(),
    ancount: reader.u16(),
    nscount: reader.u16(),
    arcount: reader.u16(),
    questionEnd: HEADER_SIZE,
  };
  if (view.qdcount > 0) {
    view.question = {
      name: reader.canonicalName(),
      type: reader.u16("question"),
      class: reader.u16("question"),
    };
    view.questionEnd = reader.offset;
  }
  return view;
}

// Whether a message asks a given question, read in its bytes: no text, no object. A forwarded
// query's reply is checked against the query (RFC 5452 §9.1) and a kept answer against the
// question asked, on every miss; a `peekQuestion` of each (a view, a question and a name's
// text) was the largest item a miss allocated. `sameQuestion` and `hasQuestion` say what the
// plain way says, a `peekQuestion` of each compared field by field
// (tests/dns/same_question_test.ts compares them on random and damaged messages): names alike
// whatever the case of their letters, compression followed under the reader's rules
// (dns/reader.ts: pointers only backwards, 255 octets), and false for a malformed header or
// first question. A first question starts right after the header, so its pointers can only
// lead into the header's 12 bytes: the reader's cap on hops is never reached here.

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

/**
 * What the resolver and its stages need to know of a query before (and mostly instead of)
 * decoding it: header bits, the question and the OPT record in brief.
 */
export interface QueryHead {
  id: number;
  opcode: number;
  response: boolean;
  /** CD: part of the cache key. */
  checkingDisabled: boolean;
  questionCount: number;
  /**
   * The first question, undefined when there is none. Its name is canonical (lowercase), as
   * cache keys, the blocklist and local records look names up; the client's spelling is in
   * the query's bytes.
   */
  question?: Question;
  /** The OPT record in brief; undefined when the query has none. */
  edns?: QueryEdns;
}

export interface QueryEdns {
  version: number;
  /** The requestor's UDP payload size (the OPT CLASS): how big a UDP answer may be. */
  udpSize: number;
  /** DO: part of the cache key. */
  dnssecOk: boolean;
  /** The query carries a padding option (RFC 8467: pad the answer too). */
  padded: boolean;
  /** It carries a client-subnet option (RFC 7871). */
  clientSubnet: boolean;
  /** It carries options other than padding, cookies, Extended DNS Errors and client subnet. */
  otherOptions: boolean;
}

/** Marks in `edns` what an option with this code says of the query. */
function noteOption(edns: QueryEdns, code: number): void {
  if (code === EdnsOptionCode.PADDING) edns.padded = true;
  else if (code === EdnsOptionCode.CLIENT_SUBNET) edns.clientSubnet = true;
  else if (!HOP_BY_HOP_OPTIONS.has(code)) edns.otherOptions = true;
}

/**
 * The head of a query in the common shape -- one question and at most an OPT record, whose
 * owner is the root -- read without a full decode. It checks everything `decodeMessage` checks
 * in such a message (so a later full decode of it cannot fail) and throws the same
 * `DnsWireError`; it returns undefined for any other shape, which callers decode in full.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, EdnsOptionCode, encodeMessage, peekQuery } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * const padded = encodeMessage({
 *   ...message,
 *   questions: [{ ...message.questions[0], name: "WWW.Example.COM" }],
 *   edns: {
 *     udpSize: 1232,
 *     version: 0,
 *     dnssecOk: true,
 *     flags: 0,
 *     options: [{ code: EdnsOptionCode.PADDING, data: new Uint8Array(8) }],
 *   },
 * });
 * const head = peekQuery(padded)!;
 * assert.equal(head.question?.name, "www.example.com", "canonical: lowercase");
 * assert.equal(head.edns?.udpSize, 1232);
 * assert.equal(head.edns?.dnssecOk, true);
 * assert.equal(head.edns?.padded, true);
 * // Two questions are not the common shape: the caller decodes those in full.
 * const twice = { ...message, questions: [...message.questions, ...message.questions] };
 * assert.equal(peekQuery(encodeMessage(twice)), undefined);
 * ```
 */
export function peekQuery(bytes: Uint8Array): QueryHead | undefined {
  let head: QueryHead | undefined;
  try {
    head = peekCommonQuery(bytes);
  } catch (error) {
    if (!(error instanceof DnsWireError)) throw error;
    // The full decoder words the error (and is the one authority on what is malformed).
    decodeMessage(bytes);
    return undefined;
  }
  return head;
}

function peekCommonQuery(bytes: Uint8Array): QueryHead | undefined {
  if (bytes.length < HEADER_SIZE) return undefined;
  const flags = (bytes[2] << 8) | bytes[3];
  const qdcount = (bytes[4] << 8) | bytes[5];
  const arcount = (bytes[10] << 8) | bytes[11];
  if (qdcount !== 1 || bytes[6] | bytes[7] | bytes[8] | bytes[9] || arcount > 1) return undefined;
  const reader = new WireReader(bytes, HEADER_SIZE);
  const head: QueryHead = {
    id: (bytes[0] << 8) | bytes[1],
    opcode: (flags >> 11) & 0xf,
    response: (flags & 0x8000) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    questionCount: 1,
    question: {
      name: reader.canonicalName(),
      type: reader.u16("question"),
      class: reader.u16("question"),
    },
  };
  if (arcount === 1) {
    // Only a root-owned OPT here; anything else (a compressed root, another record) is rare
    // enough for the full decoder.
    if (reader.offset + 3 > bytes.length || bytes[reader.offset] !== 0) return undefined;
    if (((bytes[reader.offset + 1] << 8) | bytes[reader.offset + 2]) !== RType.OPT) {
      return undefined;
    }
    reader.offset += 3;
    head.edns = readOptBrief(reader);
  }
  if (reader.offset !== bytes.length) {
    throw new DnsWireError(`${bytes.length - reader.offset} trailing bytes`, reader.offset);
  }
  return head;
}

/** The OPT record after its owner and type, with the checks `decodeMessage` makes. */
function readOptBrief(reader: WireReader): QueryEdns {
  const udpSize = reader.u16("OPT");
  const ttl = reader.u32("OPT");
  const length = reader.u16("OPT");
  reader.need(length, "OPT rdata");
  const end = reader.offset + length;
  const edns: QueryEdns = {
    version: (ttl >>> 16) & 0xff,
    udpSize,
    dnssecOk: (ttl & 0x8000) !== 0,
    padded: false,
    clientSubnet: false,
    otherOptions: false,
  };
  while (reader.offset < end) {
    if (end - reader.offset < 4) throw new DnsWireError("truncated EDNS option", reader.offset);
    const code = reader.u16();
    const size = reader.u16();
    if (reader.offset + size > end) {
      throw new DnsWireError("EDNS option runs past OPT", reader.offset);
    }
    noteOption(edns, code);
    reader.offset += size;
  }
  return edns;
}

/**
 * The head of a query that was decoded in full, its question name in canonical form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, headOf, peekQuery } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * assert.deepEqual(headOf(decodeMessage(query)), peekQuery(query), "the same head either way");
 * ```
 */
export function headOf(message: Message): QueryHead {
  const { header, edns } = message;
  const question = message.questions[0];
  const head: QueryHead = {
    id: header.id,
    opcode: header.opcode,
    response: header.response,
    checkingDisabled: header.checkingDisabled,
    questionCount: message.questions.length,
    question: question && { ...question, name: canonicalName(question.name) },
  };
  if (edns !== undefined) {
    head.edns = {
      version: edns.version,
      udpSize: edns.udpSize,
      dnssecOk: edns.dnssecOk,
      padded: false,
      clientSubnet: false,
      otherOptions: false,
    };
    for (const option of edns.options) noteOption(head.edns, option.code);
  }
  return head;
}

export interface RecordScan {
  /** Full rcode, with the EDNS extended bits. */
  rcode: number;
  /** Offset of the TTL field of every record except OPT. */
  ttlOffsets: number[];
  /** Smallest TTL of all records except OPT; undefined when there are none. */
  minTtl: number | undefined;
  /** For an answerless reply with an SOA in authority: min(SOA TTL, SOA MINIMUM) (RFC 2308 §5). */
  negativeTtl: number | undefined;
  /** Where the OPT record sits, when there is one. */
  opt?: { offset: number; end: number; udpSize: number; dnssecOk: boolean };
  answerCount: number;
}

/**
 * Walks every record once, skipping names; throws DnsWireError on malformed input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, RClass, Rcode, RType, scanRecords } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const question = { name: "www.example.com", class: RClass.IN };
 * const reply = encodeReply(decodeMessage(query), {
 *   answers: [
 *     { ...question, type: RType.A, ttl: 300, data: { address: "192.0.2.1" } },
 *     { ...question, type: RType.A, ttl: 60, data: { address: "192.0.2.2" } },
 *   ],
 * });
 * const scan = scanRecords(reply);
 * assert.equal(scan.answerCount, 2);
 * assert.equal(scan.minTtl, 60);
 * // Where the TTLs are, so a cache can age a copy in place.
 * const view = new DataView(reply.buffer);
 * assert.deepEqual(scan.ttlOffsets.map((at) => view.getUint32(at)), [300, 60]);
 *
 * const soa = {
 *   mname: "ns.example.com",
 *   rname: "hostmaster.example.com",
 *   serial: 1,
 *   refresh: 7200,
 *   retry: 900,
 *   expire: 1209600,
 *   minimum: 300,
 * };
 * const apex = { name: "example.com", type: RType.SOA, class: RClass.IN, ttl: 3600, data: soa };
 * const nxdomain = encodeReply(decodeMessage(query), {
 *   rcode: Rcode.NXDOMAIN,
 *   authorities: [apex],
 * });
 * assert.equal(scanRecords(nxdomain).rcode, Rcode.NXDOMAIN);
 * assert.equal(scanRecords(nxdomain).negativeTtl, 300, "the SOA's TTL or MINIMUM, if smaller");
 * ```
 */
export function scanRecords(bytes: Uint8Array): RecordScan {
  const reader = readerAfterQuestions(bytes);
  const records = sectionCount(bytes, 0) + sectionCount(bytes, 1) + sectionCount(bytes, 2);
  const scan: RecordScan = {
    rcode: headerRcode(bytes),
    // Of the records' number where it is small (most answers): an array grown by push takes
    // room for many more, and two walks of every miss make one.
    ttlOffsets: records <= EXACT_OFFSETS ? new Array(records) : [],
    minTtl: undefined,
    negativeTtl: undefined,
    answerCount: sectionCount(bytes, 0),
  };
  walkRecords(bytes, reader, scan);
  return scan;
}

/** Records up to which `scanRecords` makes its TTL offsets of their number at once. */
const EXACT_OFFSETS = 64;

/**
 * Throws DnsWireError unless every record walks, as `scanRecords` would, without keeping what
 * it finds: a transport's check of a reply the forward stage scans again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRecords, DnsWireError } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * checkRecords(query);
 * const lying = query.slice();
 * lying[7] = 1; // ANCOUNT 1, and no record follows
 * assert.throws(() => checkRecords(lying), DnsWireError);
 * ```
 */
export function checkRecords(bytes: Uint8Array): void {
  walkRecords(bytes, readerAfterQuestions(bytes), undefined);
}

/** The one walk over the records, from `reader` after the questions; into `scan` when given. */
function walkRecords(bytes: Uint8Array, reader: WireReader, scan: RecordScan | undefined): void {
  const answers = sectionCount(bytes, 0);
  let rcode = headerRcode(bytes);
  let kept = 0;
  let minTtl: number | undefined;
  let negativeTtl: number | undefined;
  let optSeen = false;
  for (let section = 0; section < 3; section++) {
    for (let i = sectionCount(bytes, section); i > 0; i--) {
      const start = reader.offset;
      reader.skipName();
      const type = reader.u16("record");
      const klass = reader.u16("record");
      const ttlOffset = reader.offset;
      const ttl = reader.u32("record");
      const length = reader.u16("record");
      reader.need(length, "rdata");
      const rdataStart = reader.offset;
      reader.offset += length;
      if (type === RType.OPT) {
        if (optSeen) throw new DnsWireError("more than one OPT record", start);
        optSeen = true;
        rcode |= (ttl >>> 24) << 4;
        if (scan !== undefined) {
          scan.opt = {
            offset: start,
            end: reader.offset,
            udpSize: klass,
            dnssecOk: (ttl & 0x8000) !== 0,
          };
        }
        continue;
      }
      if (scan !== undefined) scan.ttlOffsets[kept++] = ttlOffset;
      minTtl = minTtl === undefined ? ttl : Math.min(minTtl, ttl);
      if (section === 1 && type === RType.SOA && negativeTtl === undefined && answers === 0) {
        negativeTtl = Math.min(ttl, soaMinimum(bytes, rdataStart, length));
      }
    }
  }
  if (reader.offset !== bytes.length) {
    throw new DnsWireError(`${bytes.length - reader.offset} trailing bytes`, reader.offset);
  }
  if (scan === undefined) return;
  scan.ttlOffsets.length = kept;
  scan.rcode = rcode;
  scan.minTtl = minTtl;
  scan.negativeTtl = negativeTtl;
}

/** The number of records in the answer (0), authority (1) or additional (2) section. */
function sectionCount(bytes: Uint8Array, section: number): number {
  return u16(bytes, 6 + 2 * section);
}

/**
 * The reader the walks over a message's records share (scanRecords, checkRecords,
 * answerAddresses, aliasTargets, truncateAnswer): each runs to its end without a pause and
 * starts no other, so one serves them all, instead of one made per walk, four per miss. It
 * keeps the last message walked until the next walk.
 */
const WALK = new WireReader(new Uint8Array(0));

/**
 * Where every walk over the records starts: the shared walk reader (`WALK`: done with before
 * any other walk starts) just past the questions (the header checked whole), the counts read
 * with `sectionCount`.
 */
export function readerAfterQuestions(bytes: Uint8Array): WireReader {
  const reader = WALK.restart(bytes);
  reader.need(HEADER_SIZE, "header");
  reader.offset = HEADER_SIZE;
  for (let i = questionCount(bytes); i > 0; i--) {
    reader.skipName();
    reader.need(4, "question");
    reader.offset += 4;
  }
  return reader;
}

/**
 * Where every walk over the records starts: a reader just past the questions, and the counts
 * of the answer, authority and additional sections.
 */
export function afterQuestions(bytes: Uint8Array): { reader: WireReader; counts: number[] } {
  const reader = readerAfterQuestions(bytes);
  return {
    reader,
    counts: [sectionCount(bytes, 0), sectionCount(bytes, 1), sectionCount(bytes, 2)],
  };
}

const NO_ADDRESSES = new Uint8Array(0);

/**
 * The A and AAAA addresses of a message's answer section (class IN), in order, 16 bytes each
 * (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d, so one comparison serves both families), read in
 * one walk that skips names: what a resolver inspects to refuse an answer that points where it
 * must not. Empty when it has none or does not parse. With `room`, they come after that many
 * zero bytes in the same buffer, for a caller that keeps them beside other bytes (the answer
 * cache: the answer, then its addresses); there is no room in an empty result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerAddresses, decodeMessage, encodeMessage, RClass, RType } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query (www.example.com A), answered with two addresses.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = decodeMessage(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * const record = { name: "www.example.com", class: RClass.IN, ttl: 60 };
 * const bytes = encodeMessage({
 *   ...query,
 *   answers: [
 *     { ...record, type: RType.A, data: { address: "192.0.2.7" } },
 *     { ...record, type: RType.AAAA, data: { address: "2001:db8::1" } },
 *   ],
 * });
 * const addresses = answerAddresses(bytes);
 * assert.equal(addresses.length, 32, "two addresses of 16 bytes");
 * assert.deepEqual([...addresses.subarray(10, 16)], [0xff, 0xff, 192, 0, 2, 7]);
 * assert.deepEqual([...addresses.subarray(16, 18)], [0x20, 0x01]);
 * assert.equal(answerAddresses(new Uint8Array(3)).length, 0, "not a message");
 * // Room in front for other bytes kept in the same buffer.
 * assert.deepEqual([...answerAddresses(bytes, 4).subarray(0, 4)], [0, 0, 0, 0]);
 * assert.deepEqual(answerAddresses(bytes, 4).subarray(4), addresses);
 * ```
 */
export function answerAddresses(bytes: Uint8Array, room = 0): Uint8Array {
  let found = 0;
  try {
    const reader = readerAfterQuestions(bytes);
    for (let i = sectionCount(bytes, 0); i > 0; i--) {
      reader.skipName();
      const type = reader.u16("record");
      const klass = reader.u16("record");
      reader.offset += 4;
      const length = reader.u16("record");
      reader.need(length, "rdata");
      const at = reader.offset;
      reader.offset += length;
      if (klass !== RClass.IN) continue;
      if ((type === RType.A && length === 4) || (type === RType.AAAA && length === 16)) {
        if (found === addressesAt.length) {
          const grown = new Int32Array(found * 2);
          grown.set(addressesAt);
          addressesAt = grown;
        }
        addressesAt[found++] = at;
      }
    }
  } catch {
    return NO_ADDRESSES;
  }
  if (found === 0) return NO_ADDRESSES;
  // The walk noted where each address is; the result is made once, of its exact length.
  const addresses = new Uint8Array(room + found * 16);
  for (let i = 0; i < found; i++) {
    const at = addressesAt[i];
    const to = room + i * 16;
    if (u16(bytes, at - 2) === 4) {
      addresses[to + 10] = addresses[to + 11] = 0xff;
      for (let b = 0; b < 4; b++) addresses[to + 12 + b] = bytes[at + b];
    } else {
      for (let b = 0; b < 16; b++) addresses[to + b] = bytes[at + b];
    }
  }
  return addresses;
}

/**
 * Where `answerAddresses` found each address's rdata; grown when an answer has more (at most one
 * per 16 bytes of a message).
 */
let addressesAt = new Int32Array(16);

/** MINIMUM is the last 4 bytes of SOA rdata, after two names. */
function soaMinimum(bytes: Uint8Array, start: number, length: number): number {
  const reader = new WireReader(bytes, start, start + length);
  reader.skipName();
  reader.skipName();
  reader.need(20, "SOA");
  if (reader.remaining !== 20) throw new DnsWireError("SOA rdata has extra bytes", reader.offset);
  reader.offset += 16;
  return reader.u32();
}

/**
 * A copy of the message with its transaction ID replaced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peekQuestion, withId } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const copy = withId(query, 0xbeef);
 * assert.equal(peekQuestion(copy).id, 0xbeef);
 * assert.equal(peekQuestion(query).id, 0, "the input is left as it was");
 * ```
 */
export function withId(bytes: Uint8Array, id: number): Uint8Array<ArrayBuffer> {
  if (bytes.length < 2) throw new DnsWireError("message shorter than its ID", 0);
  return setId(bytes.slice(), id);
}

/**
 * A copy without the OPT record, ARCOUNT decremented; the input itself when it has none.
 * When OPT is the last record (as encoders write it) the cut moves no other byte; otherwise,
 * or when the rcode needs OPT's extended bits, the message is re-encoded, an extended rcode
 * becoming SERVFAIL since a client without EDNS cannot be told it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, withoutOpt } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] };
 * const reply = encodeReply({ ...decodeMessage(query), edns });
 * assert.notEqual(decodeMessage(reply).edns, undefined);
 * const bare = withoutOpt(reply);
 * assert.equal(decodeMessage(bare).edns, undefined);
 * assert.equal(bare.length, reply.length - 11, "only the OPT record was cut");
 * assert.equal(withoutOpt(bare), bare, "nothing to cut: the input itself");
 * ```
 */
export function withoutOpt(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const { opt, rcode } = scanRecords(bytes);
  if (opt === undefined) return bytes;
  if (opt.end !== bytes.length || rcode > 0xf) {
    const message = decodeMessage(bytes);
    const header = { ...message.header, rcode: rcode > 0xf ? Rcode.SERVFAIL : rcode };
    return encodeMessage({ ...message, header, edns: undefined });
  }
  const copy = bytes.slice(0, opt.offset);
  decrementAdditionalCount(copy);
  return copy;
}

/** Root owner, type, class, TTL and RDLENGTH: where an OPT record's options begin. */
export const OPT_FIXED = 11;
const u16 = (bytes: Uint8Array, at: number) => (bytes[at] << 8) | bytes[at + 1];

/**
 * Whether the bytes are long enough for a header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasHeader } from "./mod.ts";
 *
 * assert.equal(hasHeader(new Uint8Array(12)), true);
 * assert.equal(hasHeader(new Uint8Array(11)), false);
 * ```
 */
export function hasHeader(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_SIZE;
}

/**
 * The transaction ID.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messageId } from "./mod.ts";
 *
 * assert.equal(messageId(Uint8Array.of(0xbe, 0xef, 1, 0)), 0xbeef);
 * ```
 */
export function messageId(bytes: Uint8Array): number {
  return u16(bytes, 0);
}

/**
 * Writes the transaction ID in place and returns the same bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messageId, setId } from "./mod.ts";
 *
 * const bytes = new Uint8Array(12);
 * assert.equal(setId(bytes, 0x4242), bytes, "patched in place");
 * assert.equal(messageId(bytes), 0x4242);
 * ```
 */
export function setId<T extends Uint8Array>(bytes: T, id: number): T {
  bytes[0] = id >> 8;
  bytes[1] = id & 0xff;
  return bytes;
}

/**
 * Writes the transaction ID of the message that starts at `at` in a larger buffer (several
 * messages one after another), with no view made for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messageId, setIdAt } from "./mod.ts";
 *
 * const buffer = new Uint8Array(24).fill(7);
 * setIdAt(buffer, 12, 0);
 * assert.equal(messageId(buffer.subarray(12)), 0);
 * assert.equal(messageId(buffer), 0x0707, "the message before it untouched");
 * ```
 */
export function setIdAt(buffer: Uint8Array, at: number, id: number): void {
  buffer[at] = id >> 8;
  buffer[at + 1] = id & 0xff;
}

/**
 * The QR bit: the message is a response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isResponse } from "./mod.ts";
 *
 * assert.equal(isResponse(Uint8Array.of(0, 0, 0x81, 0x80)), true);
 * assert.equal(isResponse(Uint8Array.of(0, 0, 0x01, 0x00)), false);
 * ```
 */
export function isResponse(bytes: Uint8Array): boolean {
  return (bytes[2] & 0x80) !== 0;
}

/**
 * The TC bit: the message was truncated (false for bytes too short to hold it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTruncated } from "./mod.ts";
 *
 * assert.equal(isTruncated(Uint8Array.of(0, 0, 0x83, 0x80)), true);
 * assert.equal(isTruncated(Uint8Array.of(0, 0, 0x81, 0x80)), false);
 * assert.equal(isTruncated(Uint8Array.of(0, 0, 0x83)), false, "no header");
 * ```
 */
export function isTruncated(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (bytes[2] & 0x02) !== 0;
}

/**
 * The RD bit, as 1 or 0: the client asked for recursion.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recursionDesired } from "./mod.ts";
 *
 * assert.equal(recursionDesired(Uint8Array.of(0, 0, 0x01, 0)), 1);
 * assert.equal(recursionDesired(Uint8Array.of(0, 0, 0x00, 0)), 0);
 * ```
 */
export function recursionDesired(bytes: Uint8Array): number {
  return bytes[2] & 1;
}

/**
 * The header's four rcode bits (without an OPT's extended bits: `scanRecords` has the full one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerRcode, Rcode } from "./mod.ts";
 *
 * assert.equal(headerRcode(Uint8Array.of(0, 0, 0x81, 0x82)), Rcode.SERVFAIL);
 * ```
 */
export function headerRcode(bytes: Uint8Array): number {
  return bytes[3] & 0x0f;
}

/**
 * QDCOUNT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { questionCount } from "./mod.ts";
 *
 * assert.equal(questionCount(Uint8Array.of(0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0)), 1);
 * ```
 */
export function questionCount(bytes: Uint8Array): number {
  return u16(bytes, 4);
}

/**
 * ANCOUNT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerCount } from "./mod.ts";
 *
 * assert.equal(answerCount(Uint8Array.of(0, 0, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0)), 2);
 * ```
 */
export function answerCount(bytes: Uint8Array): number {
  return u16(bytes, 6);
}

/**
 * ARCOUNT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { additionalCount } from "./mod.ts";
 *
 * assert.equal(additionalCount(Uint8Array.of(0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1)), 1);
 * ```
 */
export function additionalCount(bytes: Uint8Array): number {
  return u16(bytes, 10);
}

/**
 * Lowers ARCOUNT by one in place, as after cutting off the last additional record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decrementAdditionalCount } from "./mod.ts";
 *
 * const header = Uint8Array.of(0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 1);
 * decrementAdditionalCount(header);
 * assert.equal(header[11], 0);
 * ```
 */
export function decrementAdditionalCount(bytes: Uint8Array): void {
  const count = additionalCount(bytes) - 1;
  bytes[10] = count >> 8;
  bytes[11] = count & 0xff;
}

/**
 * The 32-bit TTL at `at` (an offset `scanRecords` gave).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ttlAt } from "./mod.ts";
 *
 * assert.equal(ttlAt(Uint8Array.of(9, 0, 0, 0x0e, 0x10), 1), 3600);
 * ```
 */
export function ttlAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/**
 * Writes the 32-bit TTL at `at` in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setTtlAt, ttlAt } from "./mod.ts";
 *
 * const bytes = new Uint8Array(5);
 * setTtlAt(bytes, 1, 2 ** 31);
 * assert.equal(ttlAt(bytes, 1), 2 ** 31);
 * ```
 */
export function setTtlAt(bytes: Uint8Array, at: number, ttl: number): void {
  bytes[at] = ttl >>> 24;
  bytes[at + 1] = (ttl >>> 16) & 0xff;
  bytes[at + 2] = (ttl >>> 8) & 0xff;
  bytes[at + 3] = ttl & 0xff;
}

/**
 * End of the first question's name when it is a plain label run right after the header (no
 * compression pointer); undefined otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { questionNameEnd } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * assert.equal(questionNameEnd(query), query.length - 4, "TYPE and CLASS follow");
 * assert.equal(questionNameEnd(query.subarray(0, 20)), undefined);
 * ```
 */
export function questionNameEnd(bytes: Uint8Array): number | undefined {
  let at = HEADER_SIZE;
  while (at < bytes.length) {
    const length = bytes[at];
    if (length === 0) return at + 1;
    if (length > 63) return undefined;
    at += 1 + length;
  }
  return undefined;
}

/**
 * Copies the client's question name over the reply's, in place, when they are the same name in
 * another case. Both sit uncompressed right after the header (nothing precedes them to point
 * to), and equal names have equal length, so the copy moves no other byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyQuestionSpelling, decodeMessage, encodeMessage } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const reply = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(reply);
 * const question = { ...message.questions[0], name: "WWW.example.COM" };
 * const raw = encodeMessage({ ...message, questions: [question] });
 * copyQuestionSpelling(reply, raw);
 * assert.equal(decodeMessage(reply).questions[0].name, "WWW.example.COM");
 * ```
 */
export function copyQuestionSpelling(reply: Uint8Array, raw: Uint8Array): void {
  const end = questionNameEnd(raw);
  if (end === undefined || reply.length < end) return;
  let same = true;
  for (let i = HEADER_SIZE; i < end; i++) {
    if (reply[i] === raw[i]) continue;
    if (foldCase(reply[i]) !== foldCase(raw[i])) return;
    same = false;
  }
  if (same) return;
  for (let i = HEADER_SIZE; i < end; i++) reply[i] = raw[i];
}

function foldCase(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

/**
 * Where to cut a message to drop its OPT record without decoding it, from its TTL offsets as
 * `scanRecords` found them (every record but OPT has one, in order: the OPT is whatever follows
 * the last): its length when it has no OPT, the OPT's offset when the OPT is the last record
 * (as encoders write it) with no extended rcode bits and no ARCOUNT borrow; undefined for
 * anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeReply, scanRecords, trailingOptOffset } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] };
 * const reply = encodeReply({ ...decodeMessage(query), edns });
 * const cut = trailingOptOffset(reply, scanRecords(reply).ttlOffsets);
 * assert.equal(cut, reply.length - 11, "an OPT without options is 11 bytes");
 * assert.equal(trailingOptOffset(query, []), query.length, "no OPT: nothing to cut");
 * ```
 */
export function trailingOptOffset(
  bytes: Uint8Array,
  ttlOffsets: readonly number[],
): number | undefined {
  if (bytes.length < HEADER_SIZE) return undefined;
  const records = u16(bytes, 6) + u16(bytes, 8) + u16(bytes, 10);
  let end: number | undefined;
  if (ttlOffsets.length > 0) {
    const last = ttlOffsets[ttlOffsets.length - 1];
    end = last + 6 + u16(bytes, last + 4);
  } else if (u16(bytes, 4) === 1) {
    const nameEndsAt = questionNameEnd(bytes);
    end = nameEndsAt === undefined ? undefined : nameEndsAt + 4;
  }
  if (end === undefined) return undefined;
  if (records === ttlOffsets.length) return end === bytes.length ? end : undefined;
  if (records !== ttlOffsets.length + 1 || bytes[11] === 0) return undefined;
  // A root-owned OPT with no extended rcode, ending the message.
  if (bytes[end] !== 0 || u16(bytes, end + 1) !== RType.OPT || bytes[end + 5] !== 0) {
    return undefined;
  }
  return end + OPT_FIXED + u16(bytes, end + 9) === bytes.length ? end : undefined;
}

/**
 * A transient copy (dns/transient.ts) of a message whose OPT record starts at `optOffset` and
 * ends it, padded to a multiple of `block` bytes (RFC 8467): the OPT's other options kept in
 * order, any padding it had replaced by a padding option of zeros. A plain copy when it has no
 * OPT (`optOffset` is its length: nothing to pad); undefined when the options do not walk to
 * the OPT's end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   decodeMessage,
 *   EdnsOptionCode,
 *   encodeReply,
 *   scanRecords,
 *   trailingOptOffset,
 *   withPaddedOpt,
 * } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] };
 * const reply = encodeReply({ ...decodeMessage(query), edns });
 * const padded = withPaddedOpt(reply, trailingOptOffset(reply, scanRecords(reply).ttlOffsets)!, 468)!;
 * assert.equal(padded.length, 468);
 * const [option] = decodeMessage(padded).edns!.options;
 * assert.equal(option.code, EdnsOptionCode.PADDING);
 * ```
 */
export function withPaddedOpt(
  bytes: Uint8Array,
  optOffset: number,
  block: number,
): Uint8Array<ArrayBuffer> | undefined {
  if (optOffset === bytes.length) return transientCopy(bytes);
  const padding = EdnsOptionCode.PADDING;
  const options = optOffset + OPT_FIXED;
  let kept = 0;
  for (let at = options; at < bytes.length;) {
    if (at + 4 > bytes.length) return undefined;
    const size = 4 + u16(bytes, at + 2);
    if (at + size > bytes.length) return undefined;
    if (u16(bytes, at) !== padding) kept += size;
    at += size;
  }
  const bare = options + kept + 4;
  const fill = (block - bare % block) % block;
  // Zeroed: the padding option's content is already in place.
  const out = transientBytes(bare + fill);
  out.set(bytes.subarray(0, options));
  let to = options;
  for (let at = options; at < bytes.length;) {
    const size = 4 + u16(bytes, at + 2);
    if (u16(bytes, at) !== padding) {
      out.set(bytes.subarray(at, at + size), to);
      to += size;
    }
    at += size;
  }
  const rdata = bare + fill - options;
  out[optOffset + 9] = rdata >> 8;
  out[optOffset + 10] = rdata & 0xff;
  out[to] = padding >> 8;
  out[to + 1] = padding & 0xff;
  out[to + 2] = fill >> 8;
  out[to + 3] = fill & 0xff;
  return out;
}

/**
 * The scope prefix of the client-subnet option (RFC 7871 §6) in the OPT record that `scanRecords`
 * found at `opt`, undefined when it has none; 0 when the option is too short to say.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   clientSubnetScope,
 *   decodeMessage,
 *   encodeClientSubnet,
 *   encodeMessage,
 *   scanRecords,
 * } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const address = Uint8Array.of(192, 0, 2);
 * const subnet = { family: 1, sourcePrefix: 24, scopePrefix: 16, address };
 * const options = [encodeClientSubnet(subnet)];
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options };
 * const reply = encodeMessage({ ...decodeMessage(query), edns });
 * assert.equal(clientSubnetScope(reply, scanRecords(reply).opt!), 16);
 * ```
 */
export function clientSubnetScope(
  bytes: Uint8Array,
  opt: { offset: number; end: number },
): number | undefined {
  for (let at = opt.offset + OPT_FIXED; at + 4 <= opt.end;) {
    const code = u16(bytes, at);
    const length = u16(bytes, at + 2);
    if (code === EdnsOptionCode.CLIENT_SUBNET) return length >= 4 ? bytes[at + 7] : 0;
    at += 4 + length;
  }
  return undefined;
}

/**
 * A fresh query (a transient copy: dns/transient.ts; ID 0) made from `raw`'s first question,
 * its name in lowercase (ASCII letters only), with `raw`'s opcode and RD, AD and CD bits, and
 * an OPT record of its own: `udpSize`, the DO bit as given, no option. Undefined when the
 * question's name is not a plain label run right after the header (a compression pointer: rare,
 * the decoder knows it). The caller knows `raw` holds one question.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, queryWithOwnOpt } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * const shouted = { ...message.questions[0], name: "WWW.EXAMPLE.COM" };
 * const raw = encodeMessage({ ...message, questions: [shouted] });
 * const sent = decodeMessage(queryWithOwnOpt(raw, 1232, true)!);
 * assert.equal(sent.questions[0].name, "www.example.com");
 * assert.equal(sent.header.recursionDesired, true);
 * assert.equal(sent.edns?.udpSize, 1232);
 * assert.equal(sent.edns?.dnssecOk, true);
 * ```
 */
export function queryWithOwnOpt(
  raw: Uint8Array,
  udpSize: number,
  dnssecOk: boolean,
): Uint8Array | undefined {
  const nameEnd = questionNameEnd(raw);
  if (nameEnd === undefined) return undefined;
  const questionEnd = nameEnd + 4;
  if (questionEnd > raw.length) return undefined;
  // From the transient slab (dns/transient.ts): a region no one reuses, so it may live as long
  // as the query does; a fresh buffer per miss was most of this function's time.
  const bytes = transientBytes(questionEnd + OPT_FIXED);
  bytes[2] = raw[2] & 0x79; // opcode and RD; QR, AA and TC clear
  bytes[3] = raw[3] & 0x30; // AD and CD; RA, Z and RCODE clear
  bytes[5] = 1; // QDCOUNT
  bytes[11] = 1; // ARCOUNT: our OPT
  for (let i = HEADER_SIZE; i < nameEnd; i++) {
    const byte = raw[i];
    // Length octets are at most 63, below "A": only letters change.
    bytes[i] = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
  }
  bytes.set(raw.subarray(nameEnd, questionEnd), nameEnd);
  const opt = questionEnd; // root owner (0), then TYPE, CLASS = our size, TTL, RDLENGTH 0
  bytes[opt + 2] = RType.OPT;
  bytes[opt + 3] = udpSize >> 8;
  bytes[opt + 4] = udpSize & 0xff;
  if (dnssecOk) bytes[opt + 7] = 0x80;
  return bytes;
}
