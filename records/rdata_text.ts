/**
 * The record types a records file may hold, and their values read from presentation text
 * (RFC 1035 §5.1 and each type's RFC) into the codec's rdata. Values come out canonical
 * (addresses as the codec prints them, names lowercase without the trailing dot), so equal
 * records compare equal whatever spelling the file used.
 */
import { formatIpv6, parseIpv4, parseIpv6, type RData, RType } from "../dns/mod.ts";
import { normalizeDomain } from "../dns/domain_entry.ts";
import { characterString, LineError, type Token } from "./tokens.ts";

/** The types a records file holds, by name. */
export const RECORD_TYPES: ReadonlyMap<string, number> = new Map([
  ["A", RType.A],
  ["AAAA", RType.AAAA],
  ["CNAME", RType.CNAME],
  ["TXT", RType.TXT],
  ["MX", RType.MX],
  ["SRV", RType.SRV],
  ["PTR", RType.PTR],
]);

/** Reads the value tokens of one record of `type`; throws `LineError` at the wrong token. */
export function parseRdata(type: number, tokens: Token[], after: Token): RData {
  const reader = new ValueReader(tokens, after);
  let data: RData;
  switch (type) {
    case RType.A:
      data = { address: reader.ipv4() };
      break;
    case RType.AAAA:
      data = { address: reader.ipv6() };
      break;
    case RType.CNAME:
    case RType.PTR:
      data = { target: reader.name("target name") };
      break;
    case RType.MX:
      data = { preference: reader.u16("preference"), exchange: reader.name("mail server name") };
      break;
    case RType.SRV:
      data = {
        priority: reader.u16("priority"),
        weight: reader.u16("weight"),
        port: reader.u16("port"),
        target: reader.name("target name"),
      };
      break;
    case RType.TXT:
      data = { strings: reader.strings() };
      break;
    default:
      throw new LineError(`type ${type} is not a records-file type`, after.column);
  }
  reader.end();
  return data;
}

/** Takes value tokens one at a time, each error naming what was expected and where. */
class ValueReader {
  #tokens: Token[];
  #at = 0;
  /** The token before the value (the type), for "missing" errors at the end of the line. */
  #last: Token;

  constructor(tokens: Token[], after: Token) {
    this.#tokens = tokens;
    this.#last = after;
  }

  #next(what: string): Token {
    const token = this.#tokens[this.#at++];
    if (token === undefined) {
      throw new LineError(`${what} missing`, this.#last.column + this.#last.text.length);
    }
    this.#last = token;
    return token;
  }

  ipv4(): string {
    const token = this.#next("IPv4 address");
    const bytes = token.quoted ? undefined : parseIpv4(token.text);
    if (bytes === undefined) throw bad(token, "an IPv4 address");
    return bytes.join(".");
  }

  ipv6(): string {
    const token = this.#next("IPv6 address");
    const bytes = token.quoted ? undefined : parseIpv6(token.text);
    if (bytes === undefined) throw bad(token, "an IPv6 address");
    return formatIpv6(bytes);
  }

  u16(what: string): number {
    const token = this.#next(what);
    if (!/^\d{1,5}$/.test(token.text) || Number(token.text) > 0xffff) {
      throw bad(token, `a ${what} from 0 to 65535`);
    }
    return Number(token.text);
  }

  name(what: string): string {
    const token = this.#next(what);
    return domainName(token, what);
  }

  /** Every token left, each one character-string. */
  strings(): Uint8Array[] {
    const strings: Uint8Array[] = [];
    while (this.#at < this.#tokens.length) strings.push(characterString(this.#next("text")));
    if (strings.length === 0) this.#next("text");
    return strings;
  }

  end(): void {
    const extra = this.#tokens[this.#at];
    if (extra !== undefined) {
      throw new LineError(`unexpected "${extra.text}" after the value`, extra.column);
    }
  }
}

/**
 * A domain name token in canonical form: lowercase, no trailing dot, IDNs as punycode; "." is
 * the root. `*.` leads only where the caller allows wildcards.
 */
export function domainName(token: Token, what: string, wildcard = false): string {
  if (token.text === ".") return "";
  const result = token.quoted ? { reason: "a quoted name" } : normalizeDomain(token.text);
  if ("reason" in result) {
    throw new LineError(`"${token.text}" is not a ${what}: ${result.reason}`, token.column);
  }
  if (!wildcard && result.name.startsWith("*.")) {
    throw new LineError(
      `"${token.text}" is not a ${what}: a wildcard is not allowed here`,
      token.column,
    );
  }
  return result.name;
}

function bad(token: Token, expected: string): LineError {
  return new LineError(`"${token.text}" is not ${expected}`, token.column);
}
