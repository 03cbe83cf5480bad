/** Numeric constants of the DNS wire format (RFC 1035, RFC 6895 registries). */

/** Record types we know by name. Unknown types are carried as numbers (RFC 3597). */
export const RType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const RClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** Response codes; values above 15 need the EDNS extended-rcode bits. */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

/** EDNS(0) option codes we understand (RFC 6891 registry). */
export const EdnsOptionCode = {
  CLIENT_SUBNET: 8,
  COOKIE: 10,
  PADDING: 12,
  EXTENDED_ERROR: 15,
} as const;

/**
 * Options a client addresses to the server it talks to, never passed on to an upstream:
 * cookies (RFC 7873), padding (RFC 7830) and Extended DNS Errors (RFC 8914).
 */
export const HOP_BY_HOP_OPTIONS: ReadonlySet<number> = new Set([
  EdnsOptionCode.COOKIE,
  EdnsOptionCode.PADDING,
  EdnsOptionCode.EXTENDED_ERROR,
]);

/** Extended DNS Error info codes (RFC 8914) the gateway emits. */
export const EdeCode = {
  OTHER: 0,
  STALE_ANSWER: 3,
  BLOCKED: 15,
  FILTERED: 17,
  PROHIBITED: 18,
  NOT_READY: 14,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
} as const;

/** Name <-> number for the record types above, for presentation and the JSON API. */
export const TYPE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(RType).map(([name, value]) => [value, name]),
);

const RCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Rcode).map(([name, value]) => [value, name]),
);

/**
 * `rcodeName(3)` is `"NXDOMAIN"`; a code without a mnemonic here is `"RCODE<n>"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rcode, rcodeName } from "./mod.ts";
 *
 * assert.equal(rcodeName(Rcode.NXDOMAIN), "NXDOMAIN");
 * assert.equal(rcodeName(3841), "RCODE3841");
 * ```
 */
export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

/**
 * `typeName(65280)` is `"TYPE65280"` (RFC 3597 presentation of unknown types).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RType, typeName } from "./mod.ts";
 *
 * assert.equal(typeName(RType.AAAA), "AAAA");
 * assert.equal(typeName(65280), "TYPE65280");
 * ```
 */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/**
 * Parses a type name (`"aaaa"`, `"TYPE65280"`) or number string; undefined when unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTypeName, RType } from "./mod.ts";
 *
 * assert.equal(parseTypeName("aaaa"), RType.AAAA);
 * assert.equal(parseTypeName("TYPE65280"), 65280);
 * assert.equal(parseTypeName("28"), RType.AAAA);
 * assert.equal(parseTypeName("NOSUCHTYPE"), undefined);
 * assert.equal(parseTypeName("70000"), undefined, "types are 16 bits");
 * ```
 */
export function parseTypeName(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RType as Record<string, number>)[upper];
  if (known !== undefined) return known;
  const match = /^(?:TYPE)?(\d{1,5})$/.exec(upper);
  if (!match) return undefined;
  const value = Number(match[1]);
  return value <= 0xffff ? value : undefined;
}
