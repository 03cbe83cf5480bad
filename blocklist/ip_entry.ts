/**
 * IP entries of a list: lines that name an address or a range rather than a domain. They block
 * answers whose A or AAAA records fall in them (blocklist/stage.ts), whatever name was asked.
 * Forms, in any list file: AdGuard's `||192.0.2.7^` (and `||...`, `||...^|`, `||...|`, with
 * `$important` the one modifier), with `@@` for an exception; a plain `192.0.2.7` or
 * `192.0.2.0/24`; IPv6 as well (`2001:db8::/32`). A hosts line `<ip> name` stays a name entry.
 * Entries are held in one canonical spelling: host bits cleared, an IPv4 range as IPv4 whether
 * it was written so or IPv4-mapped, no prefix length for a single address.
 */
import { addressText } from "../dns/mod.ts";
import { type Cidr, parseCidr } from "../net/cidr.ts";

/** A list's IP entries, canonical ("192.0.2.7", "192.0.2.0/24", "2001:db8::/32"). */
export interface IpEntries {
  block: string[];
  allow: string[];
}

/** Where a parse keeps IP entries: made on the first one, so most lists carry none. */
export interface IpSink {
  ips?: IpEntries;
}

/**
 * IP entries one list may hold: each is held in a map for matching, unlike names' compact
 * fingerprints, so a huge address list must not fill memory; lines beyond are invalid.
 */
export const MAX_IP_ENTRIES = 65_536;

/** An IPv4-mapped address's range, counted over the 16 bytes held (net/cidr.ts). */
const MAPPED_PREFIX = 96;

/**
 * Takes `raw` into `sink` when it is an IP entry: true when taken, a reason when it is one that
 * cannot be taken, undefined when it is no IP entry at all (the parser goes on with it).
 */
export function takeIpEntry(raw: string, sink: IpSink): true | string | undefined {
  let line = raw.trim();
  const allow = line.startsWith("@@");
  if (allow) line = line.slice(2);
  let modifiers: string | undefined;
  if (line.startsWith("||")) {
    line = line.slice(2);
    const dollar = line.indexOf("$");
    if (dollar !== -1) {
      modifiers = line.slice(dollar + 1);
      line = line.slice(0, dollar);
    }
    if (line.endsWith("^|")) line = line.slice(0, -2);
    else if (line.endsWith("^") || line.endsWith("|")) line = line.slice(0, -1);
  } else {
    line = withoutComment(line);
  }
  const cidr = mayBeAddress(line) ? parseCidr(line) : undefined;
  if (cidr === undefined) return undefined;
  if (modifiers !== undefined && modifiers.trim().toLowerCase() !== "important") {
    return `an IP rule with modifiers ($${modifiers.slice(0, 40)}), not supported`;
  }
  const ips = sink.ips ??= { block: [], allow: [] };
  if (ips.block.length + ips.allow.length >= MAX_IP_ENTRIES) {
    return `more than ${MAX_IP_ENTRIES} IP entries in one list`;
  }
  (allow ? ips.allow : ips.block).push(ipEntryText(cidr));
  return true;
}

/**
 * The canonical spelling of a range: "192.0.2.0/24", "192.0.2.7", "2001:db8::/32".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "../net/cidr.ts";
 * import { ipEntryText } from "./ip_entry.ts";
 *
 * assert.equal(ipEntryText(parseCidr("192.0.2.7/24")!), "192.0.2.0/24");
 * assert.equal(ipEntryText(parseCidr("::ffff:192.0.2.7")!), "192.0.2.7");
 * assert.equal(ipEntryText(parseCidr("2001:DB8::/32")!), "2001:db8::/32");
 * ```
 */
export function ipEntryText(cidr: Cidr): string {
  const text = addressText(cidr.bytes, 0);
  const v4 = !text.includes(":");
  const bits = v4 ? cidr.bits - MAPPED_PREFIX : cidr.bits;
  return bits === (v4 ? 32 : 128) ? text : `${text}/${bits}`;
}

/** Cheap first look: digits, hex, dots, colons, a slash and brackets only, with a dot or colon. */
function mayBeAddress(word: string): boolean {
  if (word.length < 2 || word.length > 60) return false;
  let separator = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i) | 0x20;
    if (c === 0x2e || c === 0x3a) separator = true; // "." ":"
    else if (
      !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x2f || c === 0x7b ||
        c === 0x7d)
    ) {
      return false;
    }
  }
  return separator;
}

/** A plain line without its `# comment` (after a blank, as everywhere in lists). */
function withoutComment(line: string): string {
  const hash = line.search(/[ \t]#/);
  return hash === -1 ? line : line.slice(0, hash).trimEnd();
}
