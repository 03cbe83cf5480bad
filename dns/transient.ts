/**
 * Copies for bytes that live as long as one query (an aged cache hit, the bytes a door sends),
 * cut from a shared slab instead of a new ArrayBuffer each: in a profile of cached answers,
 * `Uint8Array.prototype.slice` — malloc, zeroing and the engine's bookkeeping of a fresh
 * backing store — was a large share of the resolver's CPU (`deno task bench:all`, cached rows).
 * Each copy is a region no other copy shares and nobody reuses, so it is as safe to keep and
 * patch as a slice; what differs is that its `.buffer` is the slab: use the view (or
 * byteOffset/byteLength), never the buffer alone. Keeping a copy keeps its slab (SLAB_BYTES)
 * alive, so long-lived bytes (cache entries) are sliced as usual.
 */

const SLAB_BYTES = 32 * 1024;
/** Larger copies get a buffer of their own. */
const LARGEST_SLAB_COPY = 4 * 1024;

let slab = new Uint8Array(0);
let used = 0;

/**
 * `length` zeroed bytes of their own, for per-query bytes made in place (e.g. decoded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transientBytes } from "./mod.ts";
 *
 * const first = transientBytes(4);
 * const second = transientBytes(4);
 * assert.deepEqual([...first], [0, 0, 0, 0]);
 * first.fill(7);
 * assert.deepEqual([...second], [0, 0, 0, 0], "no two share a byte");
 * ```
 */
export function transientBytes(length: number): Uint8Array<ArrayBuffer> {
  if (length > LARGEST_SLAB_COPY) return new Uint8Array(length);
  if (used + length > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const bytes = slab.subarray(used, used + length);
  used += length;
  return bytes;
}

/**
 * A copy of the first `length` bytes of `source` (all of it by default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transientCopy } from "./mod.ts";
 *
 * const source = new Uint8Array([1, 2, 3, 4]);
 * const copy = transientCopy(source, 2);
 * assert.deepEqual([...copy], [1, 2]);
 * copy[0] = 9;
 * assert.equal(source[0], 1, "a copy: the source is left as it was");
 * assert.notEqual(copy.buffer.byteLength, copy.byteLength, "its buffer is the shared slab");
 * ```
 */
export function transientCopy(source: Uint8Array, length = source.length): Uint8Array<ArrayBuffer> {
  length = Math.min(length, source.length);
  if (length > LARGEST_SLAB_COPY) return source.slice(0, length);
  const copy = transientBytes(length);
  for (let i = 0; i < length; i++) copy[i] = source[i];
  return copy;
}
