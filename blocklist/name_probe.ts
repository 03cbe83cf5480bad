/**
 * Hashes a query name once for every blocklist and allowlist it is checked against. One pass
 * from right to left yields a 64-bit fingerprint of the name, of each of its parents (the state
 * at each label boundary) and of each parent's wildcard form ("*.parent": the state carried on
 * through ".*"). `DomainSet` hashes its entries with the same pass, so an entry and the suffix
 * it names always agree.
 */

/** Offsets of the four 32-bit words kept per depth in `NameProbe.words`. */
const PLAIN_HI = 0;
const PLAIN_LO = 1;
const WILD_HI = 2;
const WILD_LO = 3;
const STRIDE = 4;

const DOT = 0x2e;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const CASE_BIT = 0x20;

/** The lanes' starting states, for a name and for bytes alike. */
const SEED_A = 0x811c9dc5 | 0;
const SEED_B = 0x2545f491 | 0;

/** Depths a probe has room for before it grows: any name of up to 127 characters. */
const INITIAL_DEPTHS = 128;

/** murmur3's 32-bit finaliser: every input bit flips each output bit with p near 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Lane one: multiply, then fold the high half down so the next steps see every bit. */
function stepA(a: number, c: number): number {
  a = Math.imul(a ^ c, 0x9e3779b1);
  return a ^ (a >>> 16);
}

/** Lane two, also fed with lane one's new state so that the lanes do not collide together. */
function stepB(b: number, c: number, a: number): number {
  b = Math.imul(b ^ c ^ a, 0x85ebca77);
  return b ^ (b >>> 15);
}

/** True when the "." at `index` is written as `\.` (an odd run of backslashes before it). */
function isEscaped(name: string, index: number): boolean {
  let run = 0;
  while (index - run > 0 && name.charCodeAt(index - run - 1) === BACKSLASH) run++;
  return (run & 1) === 1;
}

/**
 * The hashes of a name and of each parent, indexed by depth: depth d is the suffix of d labels,
 * so depth `labels` is the name itself and depth 1 its last label. Escaped dots (`a\.b`) stay
 * inside their label, as in `dns/name.ts`. The root ("") has no labels and so matches nothing.
 *
 * The two 32-bit lanes are multiply-xorshift steps, the second also fed by the first; each is
 * finished with `fmix32`. Measured on 4 million domain-like names (random, `host{i}`, and names
 * differing only in high character bits), each lane and the 40-bit joint collide no more often
 * than random values would.
 */
export class NameProbe {
  /** The name last loaded (set by `load`). */
  name = "";
  /** Labels in `name`; 0 for the root (set by `load`). */
  labels = 0;
  /** Per depth d, at `d * 4`: plain hi, plain lo, wildcard hi, wildcard lo. */
  private words: Uint32Array = new Uint32Array((INITIAL_DEPTHS + 1) * STRIDE);
  /** Per depth d: where that suffix starts in `name`. */
  private starts: Int32Array = new Int32Array(INITIAL_DEPTHS + 1);

  /** A probe already loaded with `name`, when given. */
  constructor(name?: string) {
    if (name !== undefined) this.load(name);
  }

  /** Rehashes for `name`; reuse one probe per query to avoid allocation. */
  load(name: string): void {
    this.name = name;
    if (name === "") {
      this.labels = 0;
      return;
    }
    this.ensureDepths(name.length + 1); // labels <= dots + 1, even with empty labels
    const words = this.words;
    const starts = this.starts;
    let a = SEED_A;
    let b = SEED_B;
    let depth = 0;
    for (let i = name.length - 1; i >= 0; i--) {
      const c = name.charCodeAt(i);
      if (c === DOT && !isEscaped(name, i)) {
        depth++;
        starts[depth] = i + 1;
        const at = depth * STRIDE;
        words[at + PLAIN_HI] = fmix32(a);
        words[at + PLAIN_LO] = fmix32(b);
        // The separator is common to the wildcard form and the parent that continues.
        a = stepA(a, c);
        b = stepB(b, c, a);
        const wildA = stepA(a, STAR);
        words[at + WILD_HI] = fmix32(wildA);
        words[at + WILD_LO] = fmix32(stepB(b, STAR, wildA));
        continue;
      }
      a = stepA(a, c);
      b = stepB(b, c, a);
    }
    depth++;
    starts[depth] = 0;
    words[depth * STRIDE + PLAIN_HI] = fmix32(a);
    words[depth * STRIDE + PLAIN_LO] = fmix32(b);
    this.labels = depth;
  }

  /** High word of the fingerprint of the suffix of `depth` labels. */
  plainHi(depth: number): number {
    return this.words[depth * STRIDE + PLAIN_HI];
  }

  /** Low word of the fingerprint of the suffix of `depth` labels. */
  plainLo(depth: number): number {
    return this.words[depth * STRIDE + PLAIN_LO];
  }

  /** High word of the fingerprint of "*." + the suffix of `depth` labels (depth < labels). */
  wildHi(depth: number): number {
    return this.words[depth * STRIDE + WILD_HI];
  }

  /** Low word of the fingerprint of "*." + the suffix of `depth` labels (depth < labels). */
  wildLo(depth: number): number {
    return this.words[depth * STRIDE + WILD_LO];
  }

  /** The suffix of `depth` labels, as an entry would spell it. */
  suffix(depth: number): string {
    return depth === this.labels ? this.name : this.name.slice(this.starts[depth]);
  }

  /** The wildcard entry for the parent of `depth` labels: "*." + that suffix. */
  wildcard(depth: number): string {
    return `*.${this.name.slice(this.starts[depth])}`;
  }

  private ensureDepths(depths: number): void {
    if (depths < this.starts.length) return;
    this.words = new Uint32Array((depths + 1) * STRIDE);
    this.starts = new Int32Array(depths + 1);
  }
}

/**
 * The fingerprint a `NameProbe` loaded with the name would give the whole name, computed from
 * the name's bytes (ASCII, no escaped dots), upper case read as lower: a list line's name is
 * hashed where it lies, with no string made. Writes the high word at `into[hiAt]` and the low
 * one at `into[loAt]` (written there, never passed on: a word above 2^31 passed to a function
 * is a heap number, two a line); returns the labels.
 *
 * @example
 * ```ts
 * const into = new Uint32Array(2);
 * fingerprintAscii(new TextEncoder().encode("Ads.Example"), 0, 11, into, 0, 1); // 2
 * new NameProbe("ads.example").plainHi(2) === into[0]; // true
 * ```
 */
export function fingerprintAscii(
  bytes: Uint8Array,
  from: number,
  to: number,
  into: Uint32Array,
  hiAt: number,
  loAt: number,
): number {
  let a = SEED_A;
  let b = SEED_B;
  let labels = 1;
  for (let i = to - 1; i >= from; i--) {
    let c = bytes[i];
    if (c === DOT) labels++;
    else if (c >= UPPER_A && c <= UPPER_Z) c |= CASE_BIT;
    a = stepA(a, c);
    b = stepB(b, c, a);
  }
  into[hiAt] = fmix32(a);
  into[loAt] = fmix32(b);
  return labels;
}
