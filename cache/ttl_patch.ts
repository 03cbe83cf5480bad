/**
 * TTL arithmetic on wire bytes, always on a copy (DESIGN §3): the cache writes each record's
 * clamped TTL once at insert and subtracts the time spent in the cache on every hit, so an
 * answer never claims to be fresher than it is (RFC 1035 §3.2.1; RFC 8767 for stale ones).
 */

/** A copy of `bytes` with the TTL at each offset passed through `next(ttl)`. */
export function withTtls(
  bytes: Uint8Array,
  offsets: readonly number[],
  next: (ttl: number) => number,
): Uint8Array<ArrayBuffer> {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  for (const offset of offsets) view.setUint32(offset, next(view.getUint32(offset)) >>> 0);
  return copy;
}

/** A copy aged by `elapsedSeconds`: every TTL lowered by it, never below zero. */
export function agedBy(
  bytes: Uint8Array,
  offsets: readonly number[],
  elapsedSeconds: number,
): Uint8Array<ArrayBuffer> {
  if (elapsedSeconds <= 0) return bytes.slice();
  return withTtls(bytes, offsets, (ttl) => Math.max(0, ttl - elapsedSeconds));
}
