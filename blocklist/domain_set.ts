/**
 * The compact set of domains behind the blocklist's memory store: at most 8 bytes per domain,
 * a small fraction of a `Set<string>` of the same names (`deno task bench:blocklist` checks
 * both), so a million-entry list costs a few megabytes. Entries are kept as sorted 64-bit
 * fingerprints (see `NameProbe`), never as strings; a match rebuilds the entry's text from the
 * queried name, since the entry is always one of its suffixes or "*." + one of its parents.
 *
 * Layout: the fingerprint's top `bits` bits index a directory of bucket offsets (4–8 entries a
 * bucket on average, 0.5–1 byte per domain); per entry, the low 32 bits sit in `lows` and the
 * low 16 of the high word in `tags`. A probe thus compares min(64, bits + 48) fingerprint bits,
 * and one for a name not in a set of n entries matches by chance with probability
 * n / 2^min(64, bits + 48): at most 8 / 2^48 ≈ 3·10⁻¹⁴, and 5·10⁻¹⁴ at a million entries. With
 * ten probes a query, that is one false block in some 2·10¹² queries.
 */
import { NameProbe } from "./name_probe.ts";
import { runAtOnce } from "./slices.ts";

/** Average entries a bucket holds, at most: the directory costs 4 bytes per bucket. */
const BUCKET_TARGET = 8;
/** Depths from 31 labels up share the last bit of a depth mask. */
const DEEPEST_BIT = 31;
/** Word order of a 64-bit fingerprint seen as two 32-bit words. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

const WILDCARD_PREFIX = "*.";

/** Reused by `matchName`: matching is synchronous, so one probe serves every call. */
const scratch = new NameProbe();

function depthBit(depth: number): number {
  return 1 << (depth < DEEPEST_BIT ? depth : DEEPEST_BIT);
}

/** Directory bits for `count` entries: buckets of 4–8 entries on average, at least 2 buckets. */
function directoryBits(count: number): number {
  let bits = 1;
  while (bits < 32 && count > BUCKET_TARGET * 2 ** bits) bits++;
  return bits;
}

/** Fingerprints of the entries, unsorted, as [lo, hi] word pairs; and which depths occur. */
interface Collected {
  words: Uint32Array;
  count: number;
  plainDepths: number;
  wildDepths: number;
}

/** How many entries to make room for at first: exact for arrays and sets. */
function expectedCount(entries: Iterable<string>): number {
  if (Array.isArray(entries)) return entries.length;
  if (entries instanceof Set) return entries.size;
  return 1024;
}

/** Entries hashed between two yields of `collectSteps`. */
const ENTRIES_PER_STEP = 2048;

/** Hashes every entry once into a growing word array (8 bytes an entry); yields now and then. */
function* collectSteps(entries: Iterable<string>): Generator<void, Collected> {
  let words: Uint32Array = new Uint32Array(Math.max(expectedCount(entries), 16) * 2);
  let count = 0;
  let plainDepths = 0;
  let wildDepths = 0;
  const probe = new NameProbe();
  for (const entry of entries) {
    if (entry === "") continue; // the root would match every name: never an entry
    probe.load(entry);
    const labels = probe.labels;
    // A wildcard entry is also a plain name: "*.x" matches the name "a.*.x" at its own depth.
    plainDepths |= depthBit(labels);
    if (labels > 1 && entry.startsWith(WILDCARD_PREFIX)) wildDepths |= depthBit(labels - 1);
    if (count * 2 === words.length) words = grow(words);
    words[count * 2 + LO] = probe.plainLo(labels);
    words[count * 2 + HI] = probe.plainHi(labels);
    count++;
    if (count % ENTRIES_PER_STEP === 0) yield;
  }
  return { words, count, plainDepths, wildDepths };
}

function grow(words: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(words.length * 2);
  bigger.set(words);
  return bigger;
}

/** Sorts the first `count` fingerprints in place, in one go: it cannot be sliced. */
function sort(words: Uint32Array, count: number): void {
  new BigUint64Array(words.buffer, 0, count).sort();
}

/** Drops repeats from the first `count` sorted fingerprints; returns how many remain. */
function unique(words: Uint32Array, count: number): number {
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const lo = words[i * 2 + LO];
    const hi = words[i * 2 + HI];
    if (kept > 0 && words[kept * 2 - 2 + LO] === lo && words[kept * 2 - 2 + HI] === hi) continue;
    words[kept * 2 + LO] = lo;
    words[kept * 2 + HI] = hi;
    kept++;
  }
  return kept;
}

/** A set of canonical domain names matched with their subdomains, in at most 8 bytes an entry. */
export class DomainSet {
  /** The set with no entries. */
  static readonly EMPTY: DomainSet = DomainSet.from([]);

  /** Distinct entries held. */
  readonly size: number;
  /** Bytes of typed-array storage held (for metrics and the bench). */
  readonly byteLength: number;

  private readonly shift: number;
  private readonly directory: Uint32Array;
  private readonly lows: Uint32Array;
  private readonly tags: Uint16Array;
  /** Bit d set when some entry has d labels (bit 31: 31 or more). */
  private readonly plainDepths: number;
  /** Bit d set when some "*.parent" entry has a parent of d labels; 0 when no wildcards. */
  private readonly wildDepths: number;

  private constructor(collected: Collected) {
    const { words, plainDepths, wildDepths } = collected;
    const count = unique(words, collected.count);
    const bits = directoryBits(count);
    this.shift = 32 - bits;
    this.directory = new Uint32Array(2 ** bits + 1);
    this.lows = new Uint32Array(count);
    this.tags = new Uint16Array(count);
    for (let i = 0; i < count; i++) {
      const hi = words[i * 2 + HI];
      this.directory[(hi >>> this.shift) + 1]++;
      this.lows[i] = words[i * 2 + LO];
      this.tags[i] = hi & 0xffff;
    }
    for (let b = 1; b < this.directory.length; b++) this.directory[b] += this.directory[b - 1];
    this.size = count;
    this.byteLength = this.directory.byteLength + this.lows.byteLength + this.tags.byteLength;
    this.plainDepths = plainDepths;
    this.wildDepths = wildDepths;
  }

  /** Builds from canonical entries (duplicates allowed, "*.x" wildcards allowed). */
  static from(entries: Iterable<string>): DomainSet {
    return runAtOnce(DomainSet.buildSteps(entries));
  }

  /**
   * `from` as steps (blocklist/slices.ts), for a big list built while queries are answered.
   * The sort is one step of its own, a pause slicing cannot shorten (`deno task bench:blocklist`
   * reports the longest).
   */
  static *buildSteps(entries: Iterable<string>): Generator<void, DomainSet> {
    const collected = yield* collectSteps(entries);
    yield;
    sort(collected.words, collected.count);
    yield;
    return new DomainSet(collected);
  }

  /**
   * The matching entry for the probe's name, most specific first, or undefined: the name
   * itself, then each parent from the longest, a plain parent before its wildcard form. A name
   * with a literal "*" label matches an entry "*.x" as the name's own suffix, as text would.
   */
  match(probe: NameProbe): string | undefined {
    const labels = probe.labels;
    if (this.size === 0 || labels === 0) return undefined;
    if (
      (this.plainDepths & depthBit(labels)) !== 0 &&
      this.has(probe.plainHi(labels), probe.plainLo(labels))
    ) {
      return probe.name;
    }
    for (let depth = labels - 1; depth > 0; depth--) {
      const bit = depthBit(depth);
      if ((this.plainDepths & bit) !== 0 && this.has(probe.plainHi(depth), probe.plainLo(depth))) {
        return probe.suffix(depth);
      }
      if ((this.wildDepths & bit) !== 0 && this.has(probe.wildHi(depth), probe.wildLo(depth))) {
        return probe.wildcard(depth);
      }
    }
    return undefined;
  }

  /** Convenience for one-off checks: hashes `name` and matches. */
  matchName(name: string): string | undefined {
    scratch.load(name);
    return this.match(scratch);
  }

  /** True when the fingerprint (hi, lo) is held. */
  private has(hi: number, lo: number): boolean {
    const bucket = hi >>> this.shift;
    const end = this.directory[bucket + 1];
    const tag = hi & 0xffff;
    for (let i = this.directory[bucket]; i < end; i++) {
      if (this.lows[i] === lo && this.tags[i] === tag) return true;
    }
    return false;
  }
}
