/**
 * A bounds-checked reader over a DNS message. Every read checks the remaining length and
 * throws `DnsWireError` with the offset instead of reading past the end; names follow
 * compression pointers only backwards (RFC 1035 §4.1.4), so loops are impossible, and are
 * capped at 255 octets with labels of at most 63.
 */
import { DnsWireError } from "./errors.ts";
import { labelToText } from "./name.ts";

export const MAX_NAME_OCTETS = 255;
export const MAX_LABEL_OCTETS = 63;
/** A name has at most 127 labels, so no honest name needs more pointers than that. */
export const MAX_POINTER_HOPS = 127;

/**
 * Where the labels of the name last walked with `record` lie: [start, end) offsets, label by
 * label. Reading is synchronous, so one array serves every reader.
 */
const BOUNDS = new Int32Array(MAX_NAME_OCTETS + 1);
/** The text of the name being made, as character codes (at most 254 of them). */
const TEXT = new Uint8Array(MAX_NAME_OCTETS);
/** Views of the first n codes of TEXT, made once each. */
const TEXT_VIEWS: Uint8Array[] = [];
/** ASCII is UTF-8: the codes in TEXT are all below 0x80. */
const ASCII = new TextDecoder();
const DOT = 0x2e;

/**
 * Each byte's character code where a name's text shows the byte as itself, 0 where it is
 * escaped (see name.ts `labelToText`); and the same with capitals made lowercase.
 */
const PLAIN = new Uint8Array(256);
const LOWER_PLAIN = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  const text = labelToText(Uint8Array.of(byte), 0, 1, false);
  if (text.length !== 1) continue;
  PLAIN[byte] = byte;
  LOWER_PLAIN[byte] = labelToText(Uint8Array.of(byte), 0, 1, true).charCodeAt(0);
}

/** The name whose labels BOUNDS holds, label by label: the way for names with escapes. */
function escapedText(bytes: Uint8Array, labels: number, lower: boolean): string {
  let text = "";
  for (let label = 0; label < labels; label++) {
    const part = labelToText(bytes, BOUNDS[label * 2], BOUNDS[label * 2 + 1], lower);
    text = label === 0 ? part : `${text}.${part}`;
  }
  return text;
}

export class WireReader {
  /** The message read; another only through `restart`. */
  bytes: Uint8Array;
  offset: number;
  /** Reads past this offset fail: the end of the message, or of the current rdata. */
  limit: number;

  constructor(bytes: Uint8Array, offset = 0, limit = bytes.length) {
    // No DataView: one per reader (one per query on the hot path) cost more than it saved.
    this.bytes = bytes;
    this.offset = offset;
    this.limit = limit;
  }

  /** Reads `bytes` from its start, as a new reader would: for a reader kept and reused. */
  restart(bytes: Uint8Array): this {
    this.bytes = bytes;
    this.offset = 0;
    this.limit = bytes.length;
    return this;
  }

  get remaining(): number {
    return this.limit - this.offset;
  }

  /** Throws unless `count` more bytes are there to read. */
  need(count: number, what: string): void {
    if (count > this.limit - this.offset) {
      throw new DnsWireError(
        `truncated ${what}: need ${count} bytes, ${this.remaining} left`,
        this.offset,
      );
    }
  }

  u8(what = "field"): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  u16(what = "field"): number {
    this.need(2, what);
    const value = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return value;
  }

  u32(what = "field"): number {
    this.need(4, what);
    const at = this.offset;
    const value = ((this.bytes[at] << 24) | (this.bytes[at + 1] << 16) | (this.bytes[at + 2] << 8) |
      this.bytes[at + 3]) >>> 0;
    this.offset += 4;
    return value;
  }

  /** A copy of the next `count` bytes (copies, so decoded messages never alias the input). */
  take(count: number, what = "field"): Uint8Array {
    this.need(count, what);
    const out = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /** Everything up to the limit (the rest of the rdata). */
  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  /** A name, decompressed, as text in the case it was written (so re-encoding keeps it). */
  name(): string {
    return this.#nameText(false);
  }

  /** A name, decompressed, in canonical (lowercase) text: for keys and lookups. */
  canonicalName(): string {
    return this.#nameText(true);
  }

  /**
   * The name at the cursor as text. A name with nothing to escape (letters, digits, hyphens,
   * most names) is made as one string from its bytes; label by label, a string per character,
   * was most of what a forwarded query allocated. Others go label by label (`labelToText`).
   */
  #nameText(lower: boolean): string {
    const labels = this.#walkName(true);
    const bytes = this.bytes;
    const codes = lower ? LOWER_PLAIN : PLAIN;
    let length = 0;
    for (let label = 0; label < labels; label++) {
      if (label > 0) TEXT[length++] = DOT;
      for (let at = BOUNDS[label * 2], end = BOUNDS[label * 2 + 1]; at < end; at++) {
        const code = codes[bytes[at]];
        if (code === 0) return escapedText(bytes, labels, lower);
        TEXT[length++] = code;
      }
    }
    if (length === 0) return "";
    return ASCII.decode(TEXT_VIEWS[length] ??= TEXT.subarray(0, length));
  }

  /** Skips a name without building its text (fast paths). */
  skipName(): void {
    this.#walkName(false);
  }

  /**
   * Walks the labels of the name at the cursor, leaving the cursor after the name's own bytes
   * (after the first pointer, if any). A pointer must point strictly before the start of the
   * label sequence it interrupts, which makes every walk finite.
   */
  #walkName(record: boolean): number {
    let labels = 0;
    let at = this.offset;
    let end = this.limit;
    let resumeAt = -1;
    let octets = 1;
    let sequenceStart = at;
    let hops = 0;
    while (true) {
      if (at >= end) throw new DnsWireError("truncated name", at);
      const length = this.bytes[at];
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (at + 1 >= end) throw new DnsWireError("truncated compression pointer", at);
        const target = ((length & 0x3f) << 8) | this.bytes[at + 1];
        if (target >= sequenceStart) {
          throw new DnsWireError("compression pointer does not point backwards", at);
        }
        // A real name needs at most one pointer per label (127); a longer chain is an attack
        // that would cost a walk through the whole message for every name that uses it.
        if (++hops > MAX_POINTER_HOPS) {
          throw new DnsWireError(
            `more than ${MAX_POINTER_HOPS} compression pointers in a name`,
            at,
          );
        }
        if (resumeAt < 0) resumeAt = at + 2;
        at = target;
        sequenceStart = target;
        // Pointed-to names may lie outside the current rdata window but never past the message.
        end = this.bytes.length;
        continue;
      }
      if (kind !== 0) throw new DnsWireError(`unsupported label type 0x${kind.toString(16)}`, at);
      if (length === 0) {
        this.offset = resumeAt >= 0 ? resumeAt : at + 1;
        if (this.offset > this.limit) throw new DnsWireError("name runs past its record", at);
        return labels;
      }
      octets += length + 1;
      if (octets > MAX_NAME_OCTETS) {
        throw new DnsWireError(`name longer than ${MAX_NAME_OCTETS} octets`, at);
      }
      if (at + 1 + length > end) throw new DnsWireError("truncated label", at);
      if (record) {
        BOUNDS[labels * 2] = at + 1;
        BOUNDS[labels * 2 + 1] = at + 1 + length;
      }
      labels++;
      at += 1 + length;
    }
  }
}
