/**
 * TTL arithmetic on wire bytes, always on a copy (DESIGN §3): the cache writes each record's
 * clamped TTL once at insert and subtracts the time spent in the cache on every hit, so an
 * answer never claims to be fresher than it is (RFC 1035 §3.2.1; RFC 8767 for stale ones).
 */
import { setTtlAt, transientCopy, ttlAt } from "../dns/mod.ts";

/** `ttl` raised to `lowest` and lowered to `highest`. */
export function clampTtl(ttl: number, lowest: number, highest: number): number {
  return Math.min(Math.max(ttl, lowest), highest);
}

/**
 * A copy of `bytes` with the TTL at each offset clamped to `lowest`..`highest`, and `tail`
 * after it in the same buffer: what the cache keeps beside an answer costs no buffer of its own.
 */
export function withTtls(
  bytes: Uint8Array,
  offsets: readonly number[],
  lowest: number,
  highest: number,
  tail?: Uint8Array,
): Uint8Array<ArrayBuffer> {
  let copy: Uint8Array<ArrayBuffer>;
  if (tail === undefined || tail.length === 0) copy = bytes.slice();
  else {
    copy = new Uint8Array(bytes.length + tail.length);
    copy.set(bytes);
    copy.set(tail, bytes.length);
  }
  clampTtls(copy, offsets, lowest, highest);
  return copy;
}

/** Clamps the TTL at each offset of `bytes` to `lowest`..`highest`, in place. */
export function clampTtls(
  bytes: Uint8Array,
  offsets: readonly number[],
  lowest: number,
  highest: number,
): void {
  for (const offset of offsets) {
    setTtlAt(bytes, offset, clampTtl(ttlAt(bytes, offset), lowest, highest) >>> 0);
  }
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
    setTtlAt(copy, offset, Math.max(0, ttlAt(copy, offset) - elapsedSeconds));
  }
  return copy;
}
