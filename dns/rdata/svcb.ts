/**
 * SVCB (type 64) and HTTPS (type 65), RFC 9460 §2.2.
 *
 *     | SvcPriority (16) | TargetName (domain-name, not compressed) | SvcParams ... |
 *     SvcParam: | SvcParamKey (16) | SvcParamValue length (16) | SvcParamValue |
 *
 * Parameters are kept as key + opaque value in wire order so every one round-trips; `present`
 * knows how to print the keys of RFC 9460, RFC 9461 (dohpath) and RFC 9540 (ohttp).
 */
import { DnsWireError } from "../errors.ts";
import { presentName } from "../name.ts";
import type { SvcbData, SvcParam } from "../types.ts";
import { formatIpv6 } from "./address.ts";
import type { RdataCodec } from "./codec.ts";

export const svcbCodec: RdataCodec<SvcbData> = {
  decode(reader) {
    const priority = reader.u16();
    const target = reader.name();
    const params: SvcParam[] = [];
    while (reader.remaining > 0) {
      const key = reader.u16("SvcParamKey");
      const length = reader.u16("SvcParam length");
      params.push({ key, value: reader.take(length, "SvcParam value") });
    }
    return { priority, target, params };
  },
  encode(writer, data) {
    writer.u16(data.priority);
    writer.name(data.target, false);
    for (const param of data.params) {
      if (param.value.length > 0xffff) {
        throw new DnsWireError("SvcParam value longer than 65535 bytes", writer.length);
      }
      writer.u16(param.key);
      writer.u16(param.value.length);
      writer.bytes(param.value);
    }
  },
  present: (data) =>
    [data.priority, presentName(data.target), ...data.params.map(presentParam)].join(" "),
};

/** RFC 9460 §14.3.2: the SvcParamKeys with a presentation name. */
const KEY_NAMES = [
  "mandatory",
  "alpn",
  "no-default-alpn",
  "port",
  "ipv4hint",
  "ech",
  "ipv6hint",
  "dohpath",
  "ohttp",
];

const keyName = (key: number) => KEY_NAMES[key] ?? `key${key}`;

/**
 * One SvcParam as `key=value` (RFC 9460 §2.1, Appendix A), the value in the key's own format;
 * a value its key's format cannot read falls back to the generic `keyNNNNN=` escaped bytes.
 */
function presentParam(param: SvcParam): string {
  const value = presentValue(param.key, param.value);
  if (value === undefined) {
    return param.value.length === 0
      ? `key${param.key}`
      : `key${param.key}=${escapeValue(param.value, false)}`;
  }
  return value === "" ? keyName(param.key) : `${keyName(param.key)}=${value}`;
}

/** The value in its key's format, "" for keys without a value, undefined when malformed. */
function presentValue(key: number, value: Uint8Array): string | undefined {
  switch (key) {
    case 0:
      return value.length % 2 === 0 && value.length > 0
        ? chunks(value, 2).map((c) => keyName((c[0] << 8) | c[1])).join(",")
        : undefined;
    case 1:
      return alpnIds(value)?.map((id) => escapeValue(id, true)).join(",");
    case 2:
    case 8:
      return value.length === 0 ? "" : undefined;
    case 3:
      return value.length === 2 ? String((value[0] << 8) | value[1]) : undefined;
    case 4:
      return value.length % 4 === 0 && value.length > 0
        ? chunks(value, 4).map((c) => c.join(".")).join(",")
        : undefined;
    case 5:
      return value.length > 0 ? value.toBase64() : undefined;
    case 6:
      return value.length % 16 === 0 && value.length > 0
        ? chunks(value, 16).map(formatIpv6).join(",")
        : undefined;
    case 7:
      return value.length > 0 ? escapeValue(value, false) : undefined;
    default:
      return undefined;
  }
}

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** The length-prefixed protocol ids of an alpn value; undefined when they do not fill it. */
function alpnIds(value: Uint8Array): Uint8Array[] | undefined {
  const ids: Uint8Array[] = [];
  let at = 0;
  while (at < value.length) {
    const length = value[at];
    if (length === 0 || at + 1 + length > value.length) return undefined;
    ids.push(value.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  return ids.length > 0 ? ids : undefined;
}

/**
 * Bytes as an unquoted presentation value: characters that would end or change the value
 * escaped with a backslash, other bytes outside printable ASCII as `\DDD`. In a list item
 * (`listItem`) commas and backslashes are escaped twice (RFC 9460 Appendix A.1).
 */
function escapeValue(bytes: Uint8Array, listItem: boolean): string {
  let text = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (listItem && byte === 0x2c) text += "\\\\,";
    else if (listItem && byte === 0x5c) text += "\\\\\\\\";
    else if ('"\\;()'.includes(char)) text += `\\${char}`;
    else if (byte > 0x20 && byte < 0x7f) text += char;
    else text += `\\${byte.toString().padStart(3, "0")}`;
  }
  return text;
}
