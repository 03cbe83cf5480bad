/**
 * Rdata kept as the bytes it was (RFC 3597 §5): unknown types, and known types the gateway
 * has no reason to model (HINFO, NAPTR, ...). Names inside such rdata are never decompressed,
 * which is why RFC 3597 forbids compressing them.
 */
import type { OpaqueData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const opaqueCodec: RdataCodec<OpaqueData> = {
  decode: (reader) => ({ bytes: reader.rest() }),
  encode: (writer, data) => writer.bytes(data.bytes),
  present: (data) => presentOpaque(data.bytes),
};

/** RFC 3597 §5: `\# <length> <hex>`, and `\# 0` for empty rdata. */
export function presentOpaque(bytes: Uint8Array): string {
  return bytes.length === 0 ? "\\# 0" : `\\# ${bytes.length} ${bytes.toHex().toUpperCase()}`;
}
