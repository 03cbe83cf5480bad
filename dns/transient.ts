/**
 * Copies for bytes that live as long as one query (an aged cache hit, the bytes a door sends),
 * cut from a shared slab instead of a new ArrayBuffer each: in a profile of cached answers,
 * `Uint8Array.prototype.slice` -- malloc, zeroing and the engine's bookkeeping of a fresh
 * backing store -- was a large share of the resolver's CPU (`deno task bench:all`, cached rows).
 * Each copy is a region no other copy shares and nobody reuses, so it is as safe to keep and
 * patch as a slice; what differs is that its `.buffer` is the slab: use the view (or
 * byteOffset/byteLength), never the buffer alone. Keeping a copy keeps its slab (SLAB_BYTES)
 * alive, so long-lived bytes (cache entries) are sliced as usual.
 */

const SLAB_BYTES = 32 * 1024;
/** Larger copies get a buffer of their own. */
const LARGEST_SLAB_COPY = 4 * 1024;

/**
 * A slab that copies are cut from, its state its own: the process shares one (`transientBytes`,
 * `transientCopy`); a part that wants its copies apart from everyone else's makes another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransientSlab } from "./mod.ts";
 *
 * const slab = new TransientSlab();
 * const first = slab.copy(new Uint8Array([1, 2]));
 * const second = slab.bytes(2);
 * assert.equal(first.buffer, second.buffer, "cut from the same slab");
 * assert.deepEqual([...second], [0, 0], "no two share a byte");
 * ```
 */
export class TransientSlab {
  #slab = new Uint8Array(0);
  #used = 0;

  /** `length` zeroed bytes of their own. */
  bytes(length: number): Uint8Array<ArrayBuffer> {
    if (length > LARGEST_SLAB_COPY) return new Uint8Array(length);
    if (this.#used + length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const bytes = this.#slab.subarray(this.#used, this.#used + length);
    this.#used += length;
    return bytes;
  }

  /** A copy of the first `length` bytes of `source` (all of it by default). */
  copy(source: Uint8Array, length = source.length): Uint8Array<ArrayBuffer> {
    length = Math.min(length, source.length);
    if (length > LARGEST_SLAB_COPY) return source.slice(0, length);
    const copy = this.bytes(length);
    for (let i = 0; i < length; i++) copy[i] = source[i];
    return copy;
  }
}

/** The slab the codec's view, the cache and the doors share. */
const shared = new TransientSlab();

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
  return shared.bytes(length);
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
  return shared.copy(source, length);
}
