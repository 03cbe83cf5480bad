/**
 * IP addresses as text, spelled exactly as Deno spells a peer's address (Rust's `Display` for
 * IP addresses): the UDP door reads some datagrams itself (udp_direct.ts), and their peers must
 * look the same in logs, rate-limit keys and allow-list checks as the ones Deno's `receive`
 * reports. IPv6 follows RFC 5952 (the codec's AAAA presentation), except that an IPv4-mapped
 * address is ::ffff:a.b.c.d, as Rust writes it.
 */
import { formatIpv6 } from "../dns/mod.ts";

/** The dotted IPv4 address in `bytes[at..at+4]`. */
export function ipv4Text(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** The IPv6 address in `bytes[at..at+16]`. */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  let mapped = bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = bytes[at + i] === 0;
  if (mapped) return `::ffff:${ipv4Text(bytes, at + 12)}`;
  return formatIpv6(bytes.subarray(at, at + 16));
}
