/**
 * Records whose rdata is one domain name: NS (RFC 1035 §3.3.11), CNAME (§3.3.1), PTR
 * (§3.3.12) and DNAME (RFC 6672).
 *
 *     | NSDNAME / CNAME / PTRDNAME / TARGET (domain-name) |
 *
 * RFC 3597 §4: only the RFC 1035 types may be compressed on the wire; DNAME is written whole.
 */
import { presentName } from "../name.ts";
import type { TargetData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

function targetCodec(compress: boolean): RdataCodec<TargetData> {
  return {
    decode: (reader) => ({ target: reader.name() }),
    encode: (writer, data) => writer.name(data.target, compress),
    present: (data) => presentName(data.target),
  };
}

export const compressedTargetCodec = targetCodec(true);
export const dnameCodec = targetCodec(false);
