/**
 * The JSON form of DNS that Google Public DNS (`/resolve`) and Cloudflare (`/dns-query` with
 * `accept: application/dns-json`) share: query parameters in, a JSON answer out. There is no
 * RFC for it; the field names and parameter rules follow their documentation:
 * https://developers.google.com/speed/public-dns/docs/doh/json and
 * https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/
 */
import {
  canonicalName,
  decodeExtendedError,
  DnsWireError,
  EdnsOptionCode,
  encodeMessage,
  type Message,
  parseTypeName,
  presentName,
  presentRdata,
  RClass,
  type ResourceRecord,
} from "../dns/mod.ts";

/** The question a JSON request asks, as wire bytes, or the reason it cannot be asked. */
export type JsonQuery = { query: Uint8Array } | { error: string };

/** RFC 6891 §6.2.5 / DNS Flag Day 2020, as for every query the gateway makes. */
const QUERY_UDP_SIZE = 1232;

/**
 * `name` (required; trailing dot optional, any case, RFC 1035 escapes), `type` (a name or a
 * number, A by default), `do` and `cd` (empty, 0, false, 1 or true) -> a query with RD set
 * and EDNS, so that Extended DNS Errors come back for the Comment field.
 */
export function jsonQuery(params: URLSearchParams): JsonQuery {
  const name = params.get("name");
  if (name === null || name === "") return { error: "missing name parameter (a domain name)" };
  if (/[^\x21-\x7e]/.test(name)) {
    return {
      error: `invalid name "${name}": use ASCII, with punycode (xn--\u2026) for other scripts`,
    };
  }
  const typeText = params.get("type") ?? "A";
  const type = parseTypeName(typeText);
  if (type === undefined || type === 0) {
    return {
      error:
        `invalid type "${typeText}": expected a type name (A, AAAA, MX\u2026) or a number from 1 to 65535`,
    };
  }
  const dnssecOk = flag(params, "do");
  const checkingDisabled = flag(params, "cd");
  if (typeof dnssecOk === "string") return { error: dnssecOk };
  if (typeof checkingDisabled === "string") return { error: checkingDisabled };
  const message: Message = {
    header: {
      id: 0,
      response: false,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: false,
      zero: false,
      authenticData: false,
      checkingDisabled,
      rcode: 0,
    },
    questions: [{ name: canonicalName(name), type, class: RClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: { udpSize: QUERY_UDP_SIZE, version: 0, dnssecOk, flags: 0, options: [] },
  };
  try {
    return { query: encodeMessage(message) };
  } catch (error) {
    if (!(error instanceof DnsWireError)) throw error;
    // The codec's reason without the name (already quoted) and the byte offset.
    const reason = error.message.replace(/ at byte \d+$/, "").replace(/(:| in( name)?) ".*"$/, "");
    return { error: `invalid name "${name}": ${reason}` };
  }
}

/** A boolean parameter: absent is false; empty, 1 and true are true; 0 and false are false. */
function flag(params: URLSearchParams, key: string): boolean | string {
  const value = params.get(key);
  if (value === null) return false;
  const lower = value.toLowerCase();
  if (lower === "" || lower === "1" || lower === "true") return true;
  if (lower === "0" || lower === "false") return false;
  return `invalid ${key} flag "${value}": expected empty, 0, false, 1 or true`;
}

interface JsonRecord {
  name: string;
  type: number;
  TTL: number;
  data: string;
}

export interface DnsJson {
  Status: number;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  AD: boolean;
  CD: boolean;
  Question: { name: string; type: number }[];
  Answer?: JsonRecord[];
  Authority?: JsonRecord[];
  Additional?: JsonRecord[];
  /** Extended DNS Errors (RFC 8914), as Cloudflare lists them: "EDE(15): Blocked (...)". */
  Comment?: string[];
}

/** A reply as JSON: names fully qualified, rdata in presentation format. Empty sections are left out. */
export function toDnsJson(reply: Message): DnsJson {
  const { header } = reply;
  const json: DnsJson = {
    Status: header.rcode,
    TC: header.truncated,
    RD: header.recursionDesired,
    RA: header.recursionAvailable,
    AD: header.authenticData,
    CD: header.checkingDisabled,
    Question: reply.questions.map((q) => ({ name: presentName(q.name), type: q.type })),
  };
  if (reply.answers.length > 0) json.Answer = reply.answers.map(jsonRecord);
  if (reply.authorities.length > 0) json.Authority = reply.authorities.map(jsonRecord);
  if (reply.additionals.length > 0) json.Additional = reply.additionals.map(jsonRecord);
  const errors = (reply.edns?.options ?? [])
    .filter((option) => option.code === EdnsOptionCode.EXTENDED_ERROR && option.data.length >= 2)
    .map((option) => decodeExtendedError(option.data))
    .map((ede) => `EDE(${ede.infoCode})${ede.text ? `: ${ede.text}` : ""}`);
  if (errors.length > 0) json.Comment = errors;
  return json;
}

function jsonRecord(record: ResourceRecord): JsonRecord {
  return {
    name: presentName(record.name),
    type: record.type,
    TTL: record.ttl,
    data: presentRdata(record.type, record.data, record.class),
  };
}
