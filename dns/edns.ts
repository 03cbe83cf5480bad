/**
 * EDNS(0) options (RFC 6891 §6.1.2): lookup and removal, plus the option formats the gateway
 * reads or writes -- client subnet (RFC 7871), padding (RFC 7830) and extended errors
 * (RFC 8914). Cookies (RFC 7873) stay opaque.
 */
import { EdnsOptionCode } from "./constants.ts";
import { DnsWireError } from "./errors.ts";
import type { Edns, EdnsOption } from "./types.ts";

/**
 * The option of `edns` with this code, undefined when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EdnsOptionCode, encodeClientSubnet, findOption } from "./mod.ts";
 *
 * const subnet = encodeClientSubnet({
 *   family: 1,
 *   sourcePrefix: 24,
 *   scopePrefix: 0,
 *   address: new Uint8Array([192, 0, 2]),
 * });
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [subnet] };
 * assert.equal(findOption(edns, EdnsOptionCode.CLIENT_SUBNET), subnet);
 * assert.equal(findOption(edns, EdnsOptionCode.COOKIE), undefined);
 * ```
 */
export function findOption(edns: Edns, code: number): EdnsOption | undefined {
  return edns.options.find((option) => option.code === code);
}

/**
 * A copy of `edns` without the options of this code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EdnsOptionCode, withoutOption } from "./mod.ts";
 *
 * const padding = { code: EdnsOptionCode.PADDING, data: new Uint8Array(4) };
 * const edns = { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [padding] };
 * assert.deepEqual(withoutOption(edns, EdnsOptionCode.PADDING).options, []);
 * assert.equal(edns.options.length, 1, "the input is left as it was");
 * ```
 */
export function withoutOption(edns: Edns, code: number): Edns {
  return { ...edns, options: edns.options.filter((option) => option.code !== code) };
}

/** RFC 8914 §2: | INFO-CODE (16) | EXTRA-TEXT (UTF-8, optional) | */
export interface ExtendedError {
  infoCode: number;
  text?: string;
}

/**
 * An Extended DNS Error option (RFC 8914) for a reply's OPT record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeExtendedError, EdeCode, encodeExtendedError } from "./mod.ts";
 *
 * const option = encodeExtendedError({ infoCode: EdeCode.BLOCKED, text: "ads" });
 * assert.deepEqual(decodeExtendedError(option.data), { infoCode: EdeCode.BLOCKED, text: "ads" });
 * ```
 */
export function encodeExtendedError(error: ExtendedError): EdnsOption {
  const text = new TextEncoder().encode(error.text ?? "");
  const data = new Uint8Array(2 + text.length);
  new DataView(data.buffer).setUint16(0, error.infoCode);
  data.set(text, 2);
  return { code: EdnsOptionCode.EXTENDED_ERROR, data };
}

/**
 * An Extended DNS Error option's data; throws DnsWireError when it is too short.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeExtendedError, DnsWireError } from "./mod.ts";
 *
 * assert.deepEqual(decodeExtendedError(new Uint8Array([0, 15])), { infoCode: 15 });
 * assert.throws(() => decodeExtendedError(new Uint8Array([0])), DnsWireError);
 * ```
 */
export function decodeExtendedError(data: Uint8Array): ExtendedError {
  if (data.length < 2) throw new DnsWireError("extended error option shorter than 2 bytes", 0);
  const infoCode = (data[0] << 8) | data[1];
  if (data.length === 2) return { infoCode };
  return { infoCode, text: new TextDecoder().decode(data.subarray(2)) };
}

/** RFC 7871 §6: | FAMILY (16) | SOURCE PREFIX (8) | SCOPE PREFIX (8) | ADDRESS (truncated) | */
export interface ClientSubnet {
  /** 1: IPv4, 2: IPv6. */
  family: number;
  sourcePrefix: number;
  scopePrefix: number;
  /** The significant address bytes, ceil(sourcePrefix / 8) of them. */
  address: Uint8Array;
}

/**
 * A client-subnet option's data; throws DnsWireError when its family is unknown or its
 * address is not as long as its prefix says.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeClientSubnet, DnsWireError } from "./mod.ts";
 *
 * const subnet = decodeClientSubnet(new Uint8Array([0, 1, 24, 0, 192, 0, 2]));
 * assert.deepEqual(subnet, {
 *   family: 1,
 *   sourcePrefix: 24,
 *   scopePrefix: 0,
 *   address: new Uint8Array([192, 0, 2]),
 * });
 * assert.throws(() => decodeClientSubnet(new Uint8Array([0, 1, 24, 0, 192])), DnsWireError);
 * ```
 */
export function decodeClientSubnet(data: Uint8Array): ClientSubnet {
  if (data.length < 4) throw new DnsWireError("client subnet option shorter than 4 bytes", 0);
  const family = (data[0] << 8) | data[1];
  const sourcePrefix = data[2];
  const scopePrefix = data[3];
  const address = data.slice(4);
  const maxBits = family === 1 ? 32 : family === 2 ? 128 : -1;
  if (maxBits < 0) throw new DnsWireError(`client subnet family ${family} unknown`, 0);
  if (sourcePrefix > maxBits || address.length !== Math.ceil(sourcePrefix / 8)) {
    throw new DnsWireError("client subnet address length does not match its prefix", 4);
  }
  return { family, sourcePrefix, scopePrefix, address };
}

/**
 * A client-subnet option (RFC 7871) for `subnet`, whose address is already cut to its prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EdnsOptionCode, encodeClientSubnet } from "./mod.ts";
 *
 * const address = new Uint8Array([0x20, 0x01, 0x0d, 0xb8]);
 * const option = encodeClientSubnet({ family: 2, sourcePrefix: 32, scopePrefix: 0, address });
 * assert.equal(option.code, EdnsOptionCode.CLIENT_SUBNET);
 * assert.deepEqual([...option.data], [0, 2, 32, 0, 0x20, 0x01, 0x0d, 0xb8]);
 * ```
 */
export function encodeClientSubnet(subnet: ClientSubnet): EdnsOption {
  const data = new Uint8Array(4 + subnet.address.length);
  new DataView(data.buffer).setUint16(0, subnet.family);
  data[2] = subnet.sourcePrefix;
  data[3] = subnet.scopePrefix;
  data.set(subnet.address, 4);
  return { code: EdnsOptionCode.CLIENT_SUBNET, data };
}
