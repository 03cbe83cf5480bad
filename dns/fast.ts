/**
 * Fast paths that do not decode everything (DESIGN §4): the header and first question, for
 * routing and cache keys; one walk over the records for TTL offsets, the minimum TTL and the
 * OPT record, for caching and Cache-Control; and byte-level patches of a copy.
 */
import { EdnsOptionCode, HOP_BY_HOP_OPTIONS, Rcode, RType } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import { decodeMessage, encodeMessage, HEADER_SIZE } from "./message.ts";
import { canonicalName } from "./name.ts";
import { WireReader } from "./reader.ts";
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
 * The head of a query in the common shape — one question and at most an OPT record, whose
 * owner is the root — read without a full decode. It checks everything `decodeMessage` checks
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
  const { reader, counts } = afterQuestions(bytes);
  let rcode = bytes[3] & 0xf;
  const scan: RecordScan = {
    rcode,
    ttlOffsets: [],
    minTtl: undefined,
    negativeTtl: undefined,
    answerCount: counts[0],
  };
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]; i++) {
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
        if (scan.opt !== undefined) throw new DnsWireError("more than one OPT record", start);
        scan.opt = {
          offset: start,
          end: reader.offset,
          udpSize: klass,
          dnssecOk: (ttl & 0x8000) !== 0,
        };
        rcode |= (ttl >>> 24) << 4;
        continue;
      }
      scan.ttlOffsets.push(ttlOffset);
      scan.minTtl = scan.minTtl === undefined ? ttl : Math.min(scan.minTtl, ttl);
      if (
        section === 1 && type === RType.SOA && scan.negativeTtl === undefined && counts[0] === 0
      ) {
        scan.negativeTtl = Math.min(ttl, soaMinimum(bytes, rdataStart, length));
      }
    }
  }
  if (reader.offset !== bytes.length) {
    throw new DnsWireError(`${bytes.length - reader.offset} trailing bytes`, reader.offset);
  }
  scan.rcode = rcode;
  return scan;
}

/**
 * Where every walk over the records starts: a reader just past the questions, and the counts
 * of the answer, authority and additional sections.
 */
export function afterQuestions(bytes: Uint8Array): { reader: WireReader; counts: number[] } {
  const reader = new WireReader(bytes);
  reader.need(HEADER_SIZE, "header");
  reader.offset = 4;
  const qdcount = reader.u16();
  const counts = [reader.u16(), reader.u16(), reader.u16()];
  for (let i = 0; i < qdcount; i++) {
    reader.skipName();
    reader.need(4, "question");
    reader.offset += 4;
  }
  return { reader, counts };
}

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
  const copy = bytes.slice();
  copy[0] = id >> 8;
  copy[1] = id & 0xff;
  return copy;
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
  const view = new DataView(copy.buffer);
  view.setUint16(10, view.getUint16(10) - 1);
  return copy;
}
