/**
 * TTL arithmetic on wire bytes, always on a copy (DESIGN §3): the cache writes each record's
 * clamped TTL once at insert and subtracts the time spent in the cache on every hit, so an
 * answer never claims to be fresher than it is (RFC 1035 §3.2.1; RFC 8767 for stale ones).
 */
import { transientCopy } from "../dns/mod.ts";

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

/**
 * A copy aged by `elapsedSeconds`: every TTL lowered by it, never below zero. Made for one
 * cache hit, so a transient copy (see dns/transient.ts).
 */
export function agedBy(
  bytes: Uint8Array,
  offsets: readonly number[],
  elapsedSeconds: number,
): Uint8Array<ArrayBuffer> {
  const copy = transientCopy(bytes);
  if (elapsedSeconds <= 0) return copy;
  for (const offset of offsets) {
    const ttl = ((copy[offset] << 24) | (copy[offset + 1] << 16) | (copy[offset + 2] << 8) |
      copy[offset + 3]) >>> 0;
    const aged = Math.max(0, ttl - elapsedSeconds);
    copy[offset] = aged >>> 24;
    copy[offset + 1] = (aged >>> 16) & 0xff;
    copy[offset + 2] = (aged >>> 8) & 0xff;
    copy[offset + 3] = aged & 0xff;
  }
  return copy;
}
