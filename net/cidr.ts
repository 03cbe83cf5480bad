/**
 * Address ranges (CIDR) for the allow-list of the classic doors. Every address is held as 16
 * bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so one comparison
 * serves both families and a dual-stack socket's "::ffff:192.0.2.1" matches 192.0.2.0/24.
 */

export interface Cidr {
  /** As written, for messages. */
  text: string;
  /** The network, host bits cleared. */
  bytes: Uint8Array;
  /** Prefix length over the 16 bytes (an IPv4 /24 is 96 + 24). */
  bits: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-f]{1,4}$/i;
const V4_MAPPED_PREFIX = 96;

/** 16 bytes for an IPv4 or IPv6 address (a zone such as %eth0 is ignored); undefined if neither. */
export function parseAddress(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(16);
  const v4 = parseIpv4(text);
  if (v4 !== undefined) {
    bytes[10] = bytes[11] = 0xff;
    bytes.set(v4, 12);
    return bytes;
  }
  const address = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const head = parseHextets(halves[0]);
  const tail = halves.length === 2 ? parseHextets(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 16 - head.length - tail.length;
  if (halves.length === 2 ? missing < 2 : missing !== 0) return undefined;
  bytes.set(head, 0);
  bytes.set(tail, 16 - tail.length);
  return bytes;
}

function parseIpv4(text: string): number[] | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** "2001:db8" -> bytes; the last group may be dotted IPv4 ("::ffff:192.0.2.1"). */
function parseHextets(text: string): number[] | undefined {
  if (text === "") return [];
  const groups = text.split(":");
  const bytes: number[] = [];
  for (const [i, group] of groups.entries()) {
    const v4 = i === groups.length - 1 ? parseIpv4(group) : undefined;
    if (v4 !== undefined) bytes.push(...v4);
    else if (HEXTET.test(group)) {
      const value = parseInt(group, 16);
      bytes.push(value >> 8, value & 0xff);
    } else return undefined;
  }
  return bytes;
}

/** "10.0.0.0/8", "2001:db8::/32", or a single address; undefined when it is none of these. */
export function parseCidr(text: string): Cidr | undefined {
  const [address, length, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const bytes = parseAddress(address);
  if (bytes === undefined) return undefined;
  const v4 = parseIpv4(address) !== undefined;
  const max = v4 ? 32 : 128;
  if (length !== undefined && !/^\d{1,3}$/.test(length)) return undefined;
  const prefix = length === undefined ? max : Number(length);
  if (prefix > max) return undefined;
  const bits = v4 ? V4_MAPPED_PREFIX + prefix : prefix;
  for (let bit = bits; bit < 128; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { text: text.trim(), bytes, bits };
}

/** Does `address` fall in one of the ranges? An unparsable address falls in none. */
export class CidrSet {
  readonly cidrs: readonly Cidr[];

  constructor(cidrs: readonly Cidr[]) {
    this.cidrs = cidrs;
  }

  has(address: string): boolean {
    const bytes = parseAddress(address);
    if (bytes === undefined) return false;
    return this.cidrs.some((cidr) => inPrefix(bytes, cidr));
  }
}

function inPrefix(address: Uint8Array, cidr: Cidr): boolean {
  const whole = cidr.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== cidr.bytes[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole] & mask) === cidr.bytes[whole];
}

/**
 * The private range holding the 16-byte address at `bytes[at..at+16]` (IPv4 mapped), as text
 * ("10.0.0.0/8"); undefined for any other address. Private here: what a name on the public
 * internet has no business pointing to, which DNS rebinding protection refuses
 * (blocklist/stage.ts), as a page of a public site could otherwise turn its reader's browser
 * against the devices beside it. Each is reachable from the client's side only: private (RFC
 * 1918), loopback, link-local, unique-local (RFC 4193), unspecified, and their IPv4-mapped IPv6
 * forms, which an address held as 16 bytes covers at once. Not listed: the shared address space
 * of carrier-grade NAT (100.64.0.0/10, RFC 6598). It is the provider's network, not the
 * reader's, and overlay networks (Tailscale) publish their hosts' 100.64/10 addresses in public
 * zones on purpose; a deployment that wants it refused lists `100.64.0.0/10` as an IP entry.
 */
export function privateRange(bytes: Uint8Array, at: number): string | undefined {
  let zeros = 0;
  while (zeros < 10 && bytes[at + zeros] === 0) zeros++;
  if (zeros === 10 && bytes[at + 10] === 0xff && bytes[at + 11] === 0xff) {
    return privateIpv4(bytes[at + 12], bytes[at + 13]);
  }
  const first = bytes[at];
  if ((first & 0xfe) === 0xfc) return "fc00::/7";
  if (first === 0xfe && (bytes[at + 1] & 0xc0) === 0x80) return "fe80::/10";
  if (zeros < 10) return undefined;
  let rest = 0;
  for (let i = 10; i < 15; i++) rest |= bytes[at + i];
  if (rest !== 0) return undefined;
  const last = bytes[at + 15];
  return last === 0 ? "::/128" : last === 1 ? "::1/128" : undefined;
}

function privateIpv4(a: number, b: number): string | undefined {
  if (a === 10) return "10.0.0.0/8";
  if (a === 127) return "127.0.0.0/8";
  if (a === 0) return "0.0.0.0/8";
  if (a === 192 && b === 168) return "192.168.0.0/16";
  if (a === 172 && (b & 0xf0) === 16) return "172.16.0.0/12";
  if (a === 169 && b === 254) return "169.254.0.0/16";
  return undefined;
}
