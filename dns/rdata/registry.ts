/** Record type → codec. Types missing here travel as opaque bytes (RFC 3597). */
import { RType } from "../constants.ts";
import type { RData } from "../types.ts";
import { aaaaCodec, aCodec } from "./address.ts";
import { caaCodec } from "./caa.ts";
import type { RdataCodec } from "./codec.ts";
import { dnskeyCodec, dsCodec, nsecCodec, rrsigCodec } from "./dnssec.ts";
import { mxCodec } from "./mx.ts";
import { opaqueCodec } from "./opaque.ts";
import { soaCodec } from "./soa.ts";
import { srvCodec } from "./srv.ts";
import { svcbCodec } from "./svcb.ts";
import { compressedTargetCodec, dnameCodec } from "./target.ts";
import { txtCodec } from "./txt.ts";

const CODECS = new Map<number, RdataCodec>([
  [RType.A, aCodec],
  [RType.AAAA, aaaaCodec],
  [RType.NS, compressedTargetCodec],
  [RType.CNAME, compressedTargetCodec],
  [RType.PTR, compressedTargetCodec],
  [RType.DNAME, dnameCodec],
  [RType.MX, mxCodec],
  [RType.TXT, txtCodec],
  [RType.SOA, soaCodec],
  [RType.SRV, srvCodec],
  [RType.CAA, caaCodec],
  [RType.SVCB, svcbCodec],
  [RType.HTTPS, svcbCodec],
  [RType.DS, dsCodec],
  [RType.DNSKEY, dnskeyCodec],
  [RType.RRSIG, rrsigCodec],
  [RType.NSEC, nsecCodec],
] as [number, RdataCodec][]);

export function codecFor(type: number): RdataCodec<RData> {
  return (CODECS.get(type) ?? opaqueCodec) as RdataCodec<RData>;
}

/** Whether `type` has a structured codec (others are opaque). */
export function isModelledType(type: number): boolean {
  return CODECS.has(type);
}

/** The rdata of a record of `type` in presentation format (RFC 3597 `\#` for opaque types). */
export function presentRdata(type: number, data: RData): string {
  return codecFor(type).present(data);
}
