/**
 * Reverse names (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa), so that every address
 * in the records file answers a PTR query with the names that hold it.
 */
import { type AddressData, parseIpv4, parseIpv6, type ResourceRecord, RType } from "../dns/mod.ts";

/** "192.0.2.5" -> "5.2.0.192.in-addr.arpa"; "2001:db8::1" -> "1.0.0....8.b.d.0.1.0.0.2.ip6.arpa". */
export function reverseName(address: string): string | undefined {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return `${[...v4].reverse().join(".")}.in-addr.arpa`;
  const v6 = parseIpv6(address);
  if (v6 === undefined) return undefined;
  const nibbles: string[] = [];
  for (const byte of v6) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/**
 * The PTR an A or AAAA record implies: its address's reverse name pointing at its owner. None
 * for a wildcard, which stands for names no one asked yet.
 */
export function impliedPtr(record: ResourceRecord): ResourceRecord | undefined {
  if (record.type !== RType.A && record.type !== RType.AAAA) return undefined;
  if (record.name.startsWith("*.")) return undefined;
  const name = reverseName((record.data as AddressData).address);
  if (name === undefined) return undefined;
  return { ...record, name, type: RType.PTR, data: { target: record.name } };
}
