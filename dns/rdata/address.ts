/**
 * A (RFC 1035 §3.4.1) and AAAA (RFC 3596 §2.2).
 *
 *     A:    | ADDRESS (32 bits) |
 *     AAAA: | ADDRESS (128 bits) |
 *
 * Text forms: dotted quad; RFC 5952 for IPv6 (lowercase, longest run of zero groups as "::",
 * an IPv4-mapped address as `::ffff:192.0.2.1`).
 */
import { DnsWireError } from "../errors.ts";
import type { AddressData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const aCodec: RdataCodec<AddressData> = {
  decode(reader) {
    const at = reader.offset;
    if (reader.remaining !== 4) throw new DnsWireError("A rdata must be 4 bytes", at);
    const bytes = reader.bytes;
    reader.offset = at + 4;
    return { address: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}` };
  },
  encode(writer, data) {
    const bytes = parseIpv4(data.address);
    if (bytes === undefined) {
      throw new DnsWireError(`not an IPv4 address: "${data.address}"`, writer.length);
    }
    writer.bytes(bytes);
  },
  present: (data) => data.address,
};

export const aaaaCodec: RdataCodec<AddressData> = {
  decode(reader) {
    const at = reader.offset;
    if (reader.remaining !== 16) throw new DnsWireError("AAAA rdata must be 16 bytes", at);
    return { address: formatIpv6(reader.take(16)) };
  },
  encode(writer, data) {
    const bytes = parseIpv6(data.address);
    if (bytes === undefined) {
      throw new DnsWireError(`not an IPv6 address: "${data.address}"`, writer.length);
    }
    writer.bytes(bytes);
  },
  present: (data) => data.address,
};

/**
 * The 4 bytes of a dotted quad; undefined for anything else (no leading zeros, no shorthand).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIpv4 } from "../mod.ts";
 *
 * assert.deepEqual(parseIpv4("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
 * assert.equal(parseIpv4("192.0.2"), undefined);
 * assert.equal(parseIpv4("192.0.2.256"), undefined);
 * ```
 */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/**
 * The 16 bytes of an IPv6 address in any RFC 4291 §2.2 form; undefined for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIpv6, parseIpv6 } from "../mod.ts";
 *
 * const bytes = parseIpv6("2001:DB8:0:0:0:0:0:1")!;
 * assert.equal(bytes.length, 16);
 * assert.equal(formatIpv6(bytes), "2001:db8::1");
 * assert.equal(parseIpv6("2001:db8::1::2"), undefined, "one :: at most");
 * ```
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  let head = text;
  let tail = "";
  const gap = text.indexOf("::");
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
    if (tail.includes("::")) return undefined;
  }
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const first = groups(head);
  const last = groups(tail);
  if (first === undefined || last === undefined) return undefined;
  const missing = 8 - first.length - last.length;
  if (gap >= 0 ? missing < 1 : missing !== 0) return undefined;
  const all = [...first, ...new Array(missing).fill(0), ...last];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/**
 * RFC 5952 §4: lowercase, no leading zeros, the longest run (>= 2) of zero groups as "::";
 * §5: an IPv4-mapped address (::ffff:0:0/96, RFC 4291 §2.5.5.2) ends in its IPv4 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIpv6, parseIpv6 } from "../mod.ts";
 *
 * const full = parseIpv6("2001:0db8:0000:0000:0001:0000:0000:0001")!;
 * assert.equal(formatIpv6(full), "2001:db8::1:0:0:1", "RFC 5952: the first longest zero run");
 * assert.equal(formatIpv6(parseIpv6("::ffff:c000:201")!), "::ffff:192.0.2.1");
 * ```
 */
export function formatIpv6(bytes: Uint8Array): string {
  if (isIpv4Mapped(bytes)) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * The address held in 16 bytes at `bytes[at..]` (an IPv4 address IPv4-mapped, as
 * `answerAddresses` holds them) as people and lists write it: IPv4 for a mapped one, else RFC
 * 5952.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressText, parseIpv6 } from "../mod.ts";
 *
 * assert.equal(addressText(parseIpv6("::ffff:192.0.2.7")!, 0), "192.0.2.7");
 * assert.equal(addressText(parseIpv6("2001:db8::7")!, 0), "2001:db8::7");
 * ```
 */
export function addressText(bytes: Uint8Array, at: number): string {
  const address = bytes.subarray(at, at + 16);
  if (!isIpv4Mapped(address)) return formatIpv6(address);
  return `${address[12]}.${address[13]}.${address[14]}.${address[15]}`;
}
