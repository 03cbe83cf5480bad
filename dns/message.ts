/**
 * Whole-message decode and encode (RFC 1035 §4.1). The OPT pseudo-record (RFC 6891) is lifted
 * out of the additional section into `edns`, its extended RCODE bits folded into
 * `header.rcode`. Decoding checks everything: lying counts, rdata that does not fill its
 * RDLENGTH exactly, a second OPT, trailing bytes -- each a `DnsWireError`, and nothing else
 * can escape.
 */
import { RType } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import { codecFor } from "./rdata/registry.ts";
import { WireReader } from "./reader.ts";
import type { Edns, EdnsOption, Header, Message, Question, ResourceRecord } from "./types.ts";
import { WireWriter } from "./writer.ts";

export const HEADER_SIZE = 12;
const OPT_OPTION_HEADER = 4;

/**
 * The whole message, every section and the OPT record (as `edns`) decoded; throws
 * `DnsWireError`, with the offset, on anything malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, DnsWireError, RType } from "./mod.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * assert.equal(message.header.recursionDesired, true);
 * assert.deepEqual(message.questions, [{ name: "www.example.com", type: RType.A, class: 1 }]);
 * assert.equal(message.edns, undefined);
 * assert.throws(() => decodeMessage(query.subarray(0, 20)), DnsWireError);
 * ```
 */
export function decodeMessage(bytes: Uint8Array): Message {
  const reader = new WireReader(bytes);
  reader.need(HEADER_SIZE, "header");
  const id = reader.u16();
  const flags = reader.u16();
  const counts = [reader.u16(), reader.u16(), reader.u16(), reader.u16()];
  const header = headerFromFlags(id, flags);
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    questions.push({
      name: reader.name(),
      type: reader.u16("question"),
      class: reader.u16("question"),
    });
  }
  const answers = readRecords(reader, counts[1]);
  const authorities = readRecords(reader, counts[2]);
  const additionals: ResourceRecord[] = [];
  let edns: Edns | undefined;
  for (let i = 0; i < counts[3]; i++) {
    const start = reader.offset;
    const nameStart = reader.offset;
    const name = reader.name();
    const type = reader.u16("record");
    if (type !== RType.OPT) {
      additionals.push(readRecordBody(reader, name, type));
      continue;
    }
    if (edns !== undefined) throw new DnsWireError("more than one OPT record", start);
    if (name !== "") throw new DnsWireError("OPT record owner is not the root", nameStart);
    const opt = readOpt(reader);
    edns = opt.edns;
    header.rcode |= opt.extendedRcode << 4;
  }
  if (reader.offset !== bytes.length) {
    throw new DnsWireError(`${bytes.length - reader.offset} trailing bytes`, reader.offset);
  }
  return { header, questions, answers, authorities, additionals, ...(edns ? { edns } : {}) };
}

function headerFromFlags(id: number, flags: number): Header {
  return {
    id,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    zero: (flags & 0x0040) !== 0,
    authenticData: (flags & 0x0020) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
  };
}

function readRecords(reader: WireReader, count: number): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const name = reader.name();
    const type = reader.u16("record");
    if (type === RType.OPT) {
      throw new DnsWireError("OPT record outside the additional section", reader.offset - 2);
    }
    records.push(readRecordBody(reader, name, type));
  }
  return records;
}

/** Class, TTL, RDLENGTH and rdata of a record whose name and type were read. */
function readRecordBody(reader: WireReader, name: string, type: number): ResourceRecord {
  const klass = reader.u16("record");
  const ttl = reader.u32("record");
  const length = reader.u16("record");
  reader.need(length, "rdata");
  const end = reader.offset + length;
  const outerLimit = reader.limit;
  reader.limit = end;
  const data = codecFor(type, klass).decode(reader);
  if (reader.offset !== end) {
    throw new DnsWireError(`rdata shorter than its RDLENGTH ${length}`, reader.offset);
  }
  reader.limit = outerLimit;
  return { name, type, class: klass, ttl, data };
}

function readOpt(reader: WireReader): { edns: Edns; extendedRcode: number } {
  const udpSize = reader.u16("OPT");
  const ttl = reader.u32("OPT");
  const length = reader.u16("OPT");
  reader.need(length, "OPT rdata");
  const end = reader.offset + length;
  const options: EdnsOption[] = [];
  while (reader.offset < end) {
    if (end - reader.offset < OPT_OPTION_HEADER) {
      throw new DnsWireError("truncated EDNS option", reader.offset);
    }
    const code = reader.u16();
    const size = reader.u16();
    if (reader.offset + size > end) {
      throw new DnsWireError("EDNS option runs past OPT", reader.offset);
    }
    options.push({ code, data: reader.take(size) });
  }
  const flags = ttl & 0xffff;
  return {
    extendedRcode: ttl >>> 24,
    edns: {
      udpSize,
      version: (ttl >>> 16) & 0xff,
      dnssecOk: (flags & 0x8000) !== 0,
      flags: flags & 0x7fff,
      options,
    },
  };
}

export interface EncodeOptions {
  /**
   * RFC 7830 / RFC 8467: pad the message (which must have EDNS) to a multiple of this many
   * bytes, replacing any padding option it has; e.g. 468 for responses, 128 for queries.
   */
  padBlock?: number;
}

/**
 * The message in wire format, names compressed; with `padBlock`, padded (RFC 7830) to a
 * multiple of that many bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, RClass, RType } from "./mod.ts";
 *
 * const header = {
 *   id: 0x1234,
 *   response: false,
 *   opcode: 0,
 *   authoritative: false,
 *   truncated: false,
 *   recursionDesired: true,
 *   recursionAvailable: false,
 *   zero: false,
 *   authenticData: false,
 *   checkingDisabled: false,
 *   rcode: 0,
 * };
 * const query = {
 *   header,
 *   questions: [{ name: "Example.COM", type: RType.MX, class: RClass.IN }],
 *   answers: [],
 *   authorities: [],
 *   additionals: [],
 *   edns: { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] },
 * };
 * const bytes = encodeMessage(query);
 * assert.deepEqual(decodeMessage(bytes), query, "a round trip keeps everything, case included");
 * assert.equal(encodeMessage(query, { padBlock: 128 }).length, 128);
 * ```
 */
export function encodeMessage(
  message: Message,
  options: EncodeOptions = {},
): Uint8Array<ArrayBuffer> {
  const edns = message.edns;
  if (options.padBlock === undefined || edns === undefined) return encodeWith(message, edns);
  const unpadded = { ...edns, options: edns.options.filter((o) => o.code !== PADDING) };
  const bare = encodeWith(message, unpadded).length + OPT_OPTION_HEADER;
  const fill = (options.padBlock - (bare % options.padBlock)) % options.padBlock;
  const padding = { code: PADDING, data: new Uint8Array(fill) };
  return encodeWith(message, { ...unpadded, options: [...unpadded.options, padding] });
}

const PADDING = 12;

function encodeWith(message: Message, edns: Edns | undefined): Uint8Array<ArrayBuffer> {
  const writer = new WireWriter();
  const { header } = message;
  if (header.rcode > 0xf && edns === undefined) {
    throw new DnsWireError(`rcode ${header.rcode} needs EDNS`, 0);
  }
  writer.u16(header.id);
  writer.u16(flagsFromHeader(header));
  writer.u16(message.questions.length);
  writer.u16(message.answers.length);
  writer.u16(message.authorities.length);
  writer.u16(message.additionals.length + (edns ? 1 : 0));
  for (const question of message.questions) {
    writer.name(question.name, true);
    writer.u16(question.type);
    writer.u16(question.class);
  }
  for (const record of message.answers) writeRecord(writer, record);
  for (const record of message.authorities) writeRecord(writer, record);
  for (const record of message.additionals) writeRecord(writer, record);
  if (edns) writeOpt(writer, edns, header.rcode >> 4);
  return writer.finish();
}

function flagsFromHeader(header: Header): number {
  return (header.response ? 0x8000 : 0) |
    ((header.opcode & 0xf) << 11) |
    (header.authoritative ? 0x0400 : 0) |
    (header.truncated ? 0x0200 : 0) |
    (header.recursionDesired ? 0x0100 : 0) |
    (header.recursionAvailable ? 0x0080 : 0) |
    (header.zero ? 0x0040 : 0) |
    (header.authenticData ? 0x0020 : 0) |
    (header.checkingDisabled ? 0x0010 : 0) |
    (header.rcode & 0xf);
}

function writeRecord(writer: WireWriter, record: ResourceRecord): void {
  if (record.type === RType.OPT) {
    throw new DnsWireError("OPT belongs in Message.edns, not in a section", writer.length);
  }
  writer.name(record.name, true);
  writer.u16(record.type);
  writer.u16(record.class);
  writer.u32(record.ttl >>> 0);
  const mark = writer.beginLength();
  codecFor(record.type, record.class).encode(writer, record.data);
  writer.endLength(mark);
}

function writeOpt(writer: WireWriter, edns: Edns, extendedRcode: number): void {
  writer.u8(0);
  writer.u16(RType.OPT);
  writer.u16(edns.udpSize);
  writer.u32(
    ((extendedRcode & 0xff) << 24 | (edns.version & 0xff) << 16 | (edns.dnssecOk ? 0x8000 : 0) |
      (edns.flags & 0x7fff)) >>> 0,
  );
  const mark = writer.beginLength();
  for (const option of edns.options) {
    writer.u16(option.code);
    writer.u16(option.data.length);
    writer.bytes(option.data);
  }
  writer.endLength(mark);
}
