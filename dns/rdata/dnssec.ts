/**
 * The DNSSEC records of RFC 4034, carried faithfully (the gateway does not validate):
 *
 *     DS     (§5.1): | Key Tag (16) | Algorithm (8) | Digest Type (8) | Digest |
 *     DNSKEY (§2.1): | Flags (16) | Protocol (8) | Algorithm (8) | Public Key |
 *     RRSIG  (§3.1): | Type Covered (16) | Algorithm (8) | Labels (8) | Original TTL (32) |
 *                    | Expiration (32) | Inception (32) | Key Tag (16) | Signer's Name | Signature |
 *     NSEC   (§4.1): | Next Domain Name | Type Bit Maps |
 *
 * Names in RRSIG and NSEC are never compressed (§3.1.7, §4.1.1).
 */
import { typeName } from "../constants.ts";
import { DnsWireError } from "../errors.ts";
import { presentName } from "../name.ts";
import type { DnskeyData, DsData, NsecData, RrsigData } from "../types.ts";
import type { WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import type { RdataCodec } from "./codec.ts";

export const dsCodec: RdataCodec<DsData> = {
  decode: (reader) => ({
    keyTag: reader.u16(),
    algorithm: reader.u8(),
    digestType: reader.u8(),
    digest: reader.rest(),
  }),
  encode(writer, data) {
    writer.u16(data.keyTag);
    writer.u8(data.algorithm);
    writer.u8(data.digestType);
    writer.bytes(data.digest);
  },
  present: (data) =>
    `${data.keyTag} ${data.algorithm} ${data.digestType} ${data.digest.toHex().toUpperCase()}`,
};

export const dnskeyCodec: RdataCodec<DnskeyData> = {
  decode: (reader) => ({
    flags: reader.u16(),
    protocol: reader.u8(),
    algorithm: reader.u8(),
    publicKey: reader.rest(),
  }),
  encode(writer, data) {
    writer.u16(data.flags);
    writer.u8(data.protocol);
    writer.u8(data.algorithm);
    writer.bytes(data.publicKey);
  },
  present: (data) =>
    `${data.flags} ${data.protocol} ${data.algorithm} ${data.publicKey.toBase64()}`,
};

export const rrsigCodec: RdataCodec<RrsigData> = {
  decode: (reader) => ({
    typeCovered: reader.u16(),
    algorithm: reader.u8(),
    labels: reader.u8(),
    originalTtl: reader.u32(),
    expiration: reader.u32(),
    inception: reader.u32(),
    keyTag: reader.u16(),
    signerName: reader.name(),
    signature: reader.rest(),
  }),
  encode(writer, data) {
    writer.u16(data.typeCovered);
    writer.u8(data.algorithm);
    writer.u8(data.labels);
    writer.u32(data.originalTtl);
    writer.u32(data.expiration);
    writer.u32(data.inception);
    writer.u16(data.keyTag);
    writer.name(data.signerName, false);
    writer.bytes(data.signature);
  },
  present: (data) =>
    `${typeName(data.typeCovered)} ${data.algorithm} ${data.labels} ${data.originalTtl} ` +
    `${signatureTime(data.expiration)} ${signatureTime(data.inception)} ${data.keyTag} ` +
    `${presentName(data.signerName)} ${data.signature.toBase64()}`,
};

export const nsecCodec: RdataCodec<NsecData> = {
  decode: (reader) => ({ nextName: reader.name(), types: readTypeBitmaps(reader) }),
  encode(writer, data) {
    writer.name(data.nextName, false);
    writeTypeBitmaps(writer, data.types);
  },
  present: (data) => [presentName(data.nextName), ...data.types.map(typeName)].join(" "),
};

/** RFC 4034 §3.2: YYYYMMDDHHmmSS in UTC. */
function signatureTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** RFC 4034 §4.1.2: windows in ascending order, each 1-32 bytes of bitmap. */
export function readTypeBitmaps(reader: WireReader): number[] {
  const types: number[] = [];
  let lastWindow = -1;
  while (reader.remaining > 0) {
    const at = reader.offset;
    const window = reader.u8("type bitmap window");
    const length = reader.u8("type bitmap length");
    if (window <= lastWindow) throw new DnsWireError("type bitmap windows out of order", at);
    if (length < 1 || length > 32) throw new DnsWireError("type bitmap length not 1-32", at);
    lastWindow = window;
    const bitmap = reader.take(length, "type bitmap");
    for (let i = 0; i < length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        if (bitmap[i] & (0x80 >> bit)) types.push(window * 256 + i * 8 + bit);
      }
    }
  }
  return types;
}

export function writeTypeBitmaps(writer: WireWriter, types: number[]): void {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  let index = 0;
  while (index < sorted.length) {
    const window = sorted[index] >> 8;
    const bitmap = new Uint8Array(32);
    let used = 0;
    while (index < sorted.length && sorted[index] >> 8 === window) {
      const low = sorted[index] & 0xff;
      bitmap[low >> 3] |= 0x80 >> (low & 7);
      used = (low >> 3) + 1;
      index++;
    }
    writer.u8(window);
    writer.u8(used);
    writer.bytes(bitmap.subarray(0, used));
  }
}
