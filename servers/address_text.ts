/**
 * IP addresses as text, spelled exactly as Deno spells a peer's address (Rust's `Display` for
 * IP addresses): the UDP door reads some datagrams itself (udp_direct.ts), and their peers must
 * look the same in logs, rate-limit keys and allow-list checks as the ones Deno's `receive`
 * reports. IPv6 follows RFC 5952 (lowercase, no leading zeros, the longest run of two or more
 * zero groups as "::", the first such run on a tie), an IPv4-mapped address as ::ffff:a.b.c.d.
 */

/** The dotted IPv4 address in `bytes[at..at+4]`. */
export function ipv4Text(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** The IPv6 address in `bytes[at..at+16]`. */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  let mapped = bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = bytes[at + i] === 0;
  if (mapped) return `::ffff:${ipv4Text(bytes, at + 12)}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[at + i] << 8) | bytes[at + i + 1]);
  // The longest run of zero groups, if it is at least two long.
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > runLength) {
      runStart = i;
      runLength = end - i;
    }
    i = end;
  }
  const hex = (list: number[]) => list.map((group) => group.toString(16)).join(":");
  if (runStart < 0) return hex(groups);
  return `${hex(groups.slice(0, runStart))}::${hex(groups.slice(runStart + runLength))}`;
}
