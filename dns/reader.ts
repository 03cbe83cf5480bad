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

export class WireReader {
  readonly bytes: Uint8Array;
  offset: number;
  /** Reads past this offset fail: the end of the message, or of the current rdata. */
  limit: number;

  constructor(bytes: Uint8Array, offset = 0, limit = bytes.length) {
    // No DataView: one per reader (one per query on the hot path) cost more than it saved.
    this.bytes = bytes;
    this.offset = offset;
    this.limit = limit;
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

  #nameText(lower: boolean): string {
    let text = "";
    this.#walkName((start, end) => {
      const label = labelToText(this.bytes, start, end, lower);
      text = text === "" ? label : `${text}.${label}`;
    });
    return text;
  }

  /** Skips a name without building its text (fast paths). */
  skipName(): void {
    this.#walkName(() => {});
  }

  /**
   * Walks the labels of the name at the cursor, leaving the cursor after the name's own bytes
   * (after the first pointer, if any). A pointer must point strictly before the start of the
   * label sequence it interrupts, which makes every walk finite.
   */
  #walkName(onLabel: (start: number, end: number) => void): void {
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
        return;
      }
      octets += length + 1;
      if (octets > MAX_NAME_OCTETS) {
        throw new DnsWireError(`name longer than ${MAX_NAME_OCTETS} octets`, at);
      }
      if (at + 1 + length > end) throw new DnsWireError("truncated label", at);
      onLabel(at + 1, at + 1 + length);
      at += 1 + length;
    }
  }
}
