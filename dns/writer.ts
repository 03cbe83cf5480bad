/**
 * A growable writer for DNS messages: name compression over a map of the suffixes written so
 * far (pointers only to offsets below 0x4000), and record lengths filled in after the rdata.
 * Bad input (over-long names and labels, escapes that are not bytes) throws `DnsWireError`.
 */
import { DnsWireError } from "./errors.ts";
import { labelToBytes, splitLabels } from "./name.ts";
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from "./reader.ts";

const MAX_POINTER_TARGET = 0x3fff;

/** Printable ASCII without spaces: such a label is its own wire bytes. */
function isPlainAscii(label: string): boolean {
  for (let i = 0; i < label.length; i++) {
    const code = label.charCodeAt(i);
    if (code <= 0x20 || code > 0x7e) return false;
  }
  return true;
}
const MAX_MESSAGE = 0xffff;

export class WireWriter {
  #bytes: Uint8Array<ArrayBuffer> = new Uint8Array(512);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;
  /**
   * Suffix text, in its own case -> offset where it was written. Case-sensitive: a pointer to
   * a suffix spelled otherwise would change the case of the name that uses it.
   */
  readonly #suffixes = new Map<string, number>();

  get length(): number {
    return this.#length;
  }

  #reserve(count: number): number {
    const at = this.#length;
    const needed = at + count;
    if (needed > MAX_MESSAGE) throw new DnsWireError("message longer than 65535 bytes", at);
    if (needed > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length = needed;
    return at;
  }

  // Each reserves before touching #bytes/#view: reserving may replace them with larger ones.
  u8(value: number): void {
    const at = this.#reserve(1);
    this.#bytes[at] = value;
  }

  u16(value: number): void {
    const at = this.#reserve(2);
    this.#view.setUint16(at, value);
  }

  u32(value: number): void {
    const at = this.#reserve(4);
    this.#view.setUint32(at, value);
  }

  bytes(value: Uint8Array): void {
    const at = this.#reserve(value.length);
    this.#bytes.set(value, at);
  }

  /** Overwrites a 16-bit field already written (counts, lengths). */
  setU16(offset: number, value: number): void {
    this.#view.setUint16(offset, value);
  }

  /** A character-string (RFC 1035 §3.3): length octet then at most 255 bytes. */
  characterString(value: Uint8Array): void {
    if (value.length > 255) {
      throw new DnsWireError("character-string longer than 255 bytes", this.#length);
    }
    this.u8(value.length);
    this.bytes(value);
  }

  /**
   * Writes a name, compressed against earlier names spelled alike when `compress` is true.
   * Suffix keys are slices of the name; labels without escapes are written char by char.
   */
  name(name: string, compress: boolean): void {
    const labels = splitLabels(name);
    const wire: (Uint8Array | string)[] = new Array(labels.length);
    let octets = 1;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i];
      const bytes = label.includes("\\") || !isPlainAscii(label) ? labelToBytes(label) : label;
      if (bytes === undefined) throw new DnsWireError(`bad escape in name "${name}"`, this.#length);
      if (bytes.length === 0) throw new DnsWireError(`empty label in name "${name}"`, this.#length);
      if (bytes.length > MAX_LABEL_OCTETS) {
        throw new DnsWireError(`label longer than 63 octets in "${name}"`, this.#length);
      }
      wire[i] = bytes;
      octets += bytes.length + 1;
    }
    if (octets > MAX_NAME_OCTETS) {
      throw new DnsWireError(`name longer than 255 octets: "${name}"`, this.#length);
    }
    let textOffset = 0;
    for (let i = 0; i < wire.length; i++) {
      const suffix = textOffset === 0 ? name : name.slice(textOffset);
      textOffset += labels[i].length + 1;
      const earlier = this.#suffixes.get(suffix);
      if (compress && earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.#length <= MAX_POINTER_TARGET && earlier === undefined) {
        this.#suffixes.set(suffix, this.#length);
      }
      const label = wire[i];
      const at = this.#reserve(label.length + 1);
      this.#bytes[at] = label.length;
      if (typeof label === "string") {
        for (let j = 0; j < label.length; j++) this.#bytes[at + 1 + j] = label.charCodeAt(j);
      } else {
        this.#bytes.set(label, at + 1);
      }
    }
    this.u8(0);
  }

  /** Starts a 16-bit length field; `endLength` fills it with the bytes written since. */
  beginLength(): number {
    const at = this.#length;
    this.u16(0);
    return at;
  }

  endLength(mark: number): void {
    this.setU16(mark, this.#length - mark - 2);
  }

  /** The message written so far, as its own copy. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#bytes.slice(0, this.#length);
  }
}
