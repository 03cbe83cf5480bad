/**
 * Record type and class -> codec. Types missing here travel as opaque bytes (RFC 3597), and so
 * does the rdata of a type whose format depends on the class, in a class not modelled here.
 */
import { RClass, RType } from "../constants.ts";
import type { RData } from "../types.ts";
import { aaaaCodec, aCodec } from "./address.ts";
import { caaCodec } from "./caa.ts";
import { chaosAddressCodec } from "./chaos_address.ts";
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

/**
 * Types whose rdata format is defined for class IN only (BIND keeps them in rdata/in_1/); the
 * other types above read alike in every class (RFC 1035 §3.3 "standard RRs", DNSSEC, CAA).
 */
const IN_ONLY = new Set<number>([RType.A, RType.AAAA, RType.SRV, RType.SVCB, RType.HTTPS]);

/** The class-specific formats modelled outside class IN. */
const CHAOS_CODECS = new Map<number, RdataCodec>([
  [RType.A, chaosAddressCodec],
] as [number, RdataCodec][]);

/** The codec of the rdata of a record of `type` in class `klass`. */
export function codecFor(type: number, klass: number): RdataCodec<RData> {
  if (klass !== RClass.IN && IN_ONLY.has(type)) {
    const chaos = klass === RClass.CH ? CHAOS_CODECS.get(type) : undefined;
    return (chaos ?? opaqueCodec) as RdataCodec<RData>;
  }
  return (CODECS.get(type) ?? opaqueCodec) as RdataCodec<RData>;
}

/** Whether `type` has a structured codec in class IN (others are opaque). */
export function isModelledType(type: number): boolean {
  return CODECS.has(type);
}

/**
 * The rdata of a record of `type` (in class `klass`, IN unless given) in presentation format
 * (RFC 3597 `\#` for opaque rdata).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presentRdata, RType } from "../mod.ts";
 *
 * const mx = { preference: 10, exchange: "mail.example" };
 * assert.equal(presentRdata(RType.MX, mx), "10 mail.example.");
 * assert.equal(presentRdata(65280, { bytes: new Uint8Array([1, 2]) }), "\\# 2 0102");
 * ```
 */
export function presentRdata(type: number, data: RData, klass: number = RClass.IN): string {
  return codecFor(type, klass).present(data);
}
