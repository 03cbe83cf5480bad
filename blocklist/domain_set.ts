/**
 * The compact set of domains behind the blocklist's memory store: at most 8 bytes per domain,
 * a small fraction of a `Set<string>` of the same names (`deno task bench:blocklist` checks
 * both), so a million-entry list costs a few megabytes. Entries are kept as 64-bit
 * fingerprints (see `NameProbe`) grouped by bucket, never as strings; a match rebuilds the
 * entry's text from the queried name, since the entry is always one of its suffixes or "*." +
 * one of its parents.
 *
 * Layout: the fingerprint's top `bits` bits index a directory of bucket offsets (4-8 entries a
 * bucket on average, 0.5-1 byte per domain); per entry, the low 32 bits sit in `lows` and the
 * low 16 of the high word in `tags`. A probe thus compares min(64, bits + 48) fingerprint bits,
 * and one for a name not in a set of n entries matches by chance with probability
 * n / 2^min(64, bits + 48): at most 8 / 2^48, about 3e-14, and 5e-14 at a million entries. With
 * ten probes a query, that is one false block in some 2·10¹² queries.
 *
 * A set is built from `EntryFingerprints`, 8 bytes an entry, filled from strings or straight
 * from a list's bytes (parse.ts: its common lines), so a million-line list is never a million
 * strings: they, not the set, were most of what a loaded list kept resident. A repeated entry
 * leaves its 6 bytes unused rather than have the arrays copied: "at most 8 bytes per domain"
 * counts every entry given, repeats included.
 */
import { fingerprintAscii, NameProbe } from "./name_probe.ts";
import { runAtOnce } from "./slices.ts";

/** Depths from 31 labels up share the last bit of a depth mask. */
const DEEPEST_BIT = 31;
/** Word order of a 64-bit fingerprint seen as two 32-bit words. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

const WILDCARD_PREFIX = "*.";
const MIN_ROOM = 16;

function depthBit(depth: number): number {
  return 1 << (depth < DEEPEST_BIT ? depth : DEEPEST_BIT);
}

/** Average entries a bucket holds, at most: the directory costs 4 bytes per bucket. */
const BUCKET_TARGET = 8;

/** Reused by `matchName`: matching is synchronous, so one probe serves every call. */
const scratch = new NameProbe();

/** Directory bits for `count` entries: buckets of 4-8 entries on average, at least 2 buckets. */
function directoryBits(count: number): number {
  let bits = 1;
  while (bits < 32 && count > BUCKET_TARGET * 2 ** bits) bits++;
  return bits;
}

/** How many entries to make room for at first: exact for arrays and sets. */
function expectedCount(entries: Iterable<string>): number {
  if (Array.isArray(entries)) return entries.length;
  if (entries instanceof Set) return entries.size;
  return 1024;
}

/** Entries handled between two yields of the build's steps. */
const ENTRIES_PER_STEP = 4096;
/** Buckets deduplicated between two yields. */
const BUCKETS_PER_STEP = 1024;

/**
 * Entries being gathered for a set: their fingerprints, unsorted and with repeats, as [lo, hi]
 * word pairs in one growing array, and which depths occur among them.
 */
export class EntryFingerprints {
  /** [lo, hi] word pairs, entry by entry; room beyond `count` is unused. */
  words: Uint32Array;
  /** Entries added. */
  count = 0;
  /** Bit d set when some entry has d labels (bit 31: 31 or more). */
  plainDepths = 0;
  /** Bit d set when some "*.parent" entry has a parent of d labels. */
  wildDepths = 0;
  #probe: NameProbe | undefined;

  /** Room for `expected` entries before the array grows. */
  constructor(expected = 1024) {
    this.words = new Uint32Array(Math.max(expected, MIN_ROOM) * 2);
  }

  /** Adds a canonical entry ("*.x" allowed); the root ("") would match every name: skipped. */
  add(entry: string): void {
    if (entry === "") return;
    const probe = this.#probe ??= new NameProbe();
    probe.load(entry);
    const labels = probe.labels;
    // A wildcard entry is also a plain name: "*.x" matches the name "a.*.x" at its own depth.
    if (labels > 1 && entry.startsWith(WILDCARD_PREFIX)) this.wildDepths |= depthBit(labels - 1);
    this.#push(probe.plainHi(labels), probe.plainLo(labels), labels);
  }

  /**
   * Adds the name in `bytes[from, to)`: dotted ASCII labels, no wildcard, no escape, upper
   * case read as lower (the parse's common lines, checked before they come here).
   */
  addAscii(bytes: Uint8Array, from: number, to: number): void {
    if (this.count * 2 === this.words.length) this.#grow();
    const at = this.count * 2;
    const labels = fingerprintAscii(bytes, from, to, this.words, at + HI, at + LO);
    this.plainDepths |= depthBit(labels);
    this.count++;
  }

  #push(hi: number, lo: number, labels: number): void {
    this.plainDepths |= depthBit(labels);
    if (this.count * 2 === this.words.length) this.#grow();
    const at = this.count * 2;
    this.words[at + LO] = lo;
    this.words[at + HI] = hi;
    this.count++;
  }

  #grow(): void {
    const bigger = new Uint32Array(this.words.length * 2);
    bigger.set(this.words);
    this.words = bigger;
  }
}

/**
 * What the constructor takes: the entries laid out by bucket, repeats dropped. A set's parts
 * are also what a stored set holds (shared_sets.ts), so another process maps them, unparsed.
 */
export interface DomainSetParts {
  shift: number;
  directory: Uint32Array;
  lows: Uint32Array;
  tags: Uint16Array;
  /** Distinct entries: the first `size` of `lows` and `tags` (repeats left room after). */
  size: number;
  plainDepths: number;
  wildDepths: number;
}

/**
 * Lays the fingerprints out by bucket (a counting sort on the directory bits: every pass is a
 * loop that yields, where sorting them whole was one pause of the event loop as long as the
 * list), then drops repeats bucket by bucket. Within a bucket entries stay unordered: a probe
 * reads the whole bucket.
 */
function* laySteps(prints: EntryFingerprints): Generator<void, DomainSetParts> {
  const { words, count } = prints;
  const bits = directoryBits(count);
  const shift = 32 - bits;
  const directory = new Uint32Array(2 ** bits + 1);
  for (let i = 0; i < count; i++) {
    directory[(words[i * 2 + HI] >>> shift) + 1]++;
    if (i % ENTRIES_PER_STEP === 0) yield;
  }
  for (let b = 1; b < directory.length; b++) directory[b] += directory[b - 1];
  yield;
  const next = directory.slice(0, directory.length - 1);
  const lows = new Uint32Array(count);
  const tags = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const hi = words[i * 2 + HI];
    const at = next[hi >>> shift]++;
    lows[at] = words[i * 2 + LO];
    tags[at] = hi & 0xffff;
    if (i % ENTRIES_PER_STEP === 0) yield;
  }
  // Repeats: each kept entry moves down to `kept`, which never passes the one being read.
  let kept = 0;
  for (let b = 0; b < directory.length - 1; b++) {
    const from = directory[b];
    const to = directory[b + 1];
    directory[b] = kept;
    const first = kept;
    for (let i = from; i < to; i++) {
      const lo = lows[i];
      const tag = tags[i];
      let seen = false;
      for (let j = first; j < kept && !seen; j++) seen = lows[j] === lo && tags[j] === tag;
      if (seen) continue;
      lows[kept] = lo;
      tags[kept] = tag;
      kept++;
    }
    if (b % BUCKETS_PER_STEP === 0) yield;
  }
  // Room left by repeats stays unused: copying the arrays would cost their size once more.
  directory[directory.length - 1] = kept;
  const { plainDepths, wildDepths } = prints;
  return { shift, directory, lows, tags, size: kept, plainDepths, wildDepths };
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

  private constructor(laid: DomainSetParts) {
    this.shift = laid.shift;
    this.directory = laid.directory;
    this.lows = laid.lows;
    this.tags = laid.tags;
    this.size = laid.size;
    this.byteLength = this.directory.byteLength + this.lows.byteLength + this.tags.byteLength;
    this.plainDepths = laid.plainDepths;
    this.wildDepths = laid.wildDepths;
  }

  /** Builds from canonical entries (duplicates allowed, "*.x" wildcards allowed). */
  static from(entries: Iterable<string>): DomainSet {
    return runAtOnce(DomainSet.buildSteps(entries));
  }

  /**
   * `from` as steps (blocklist/slices.ts), for a big list built while queries are answered.
   * `hashed`: entries already fingerprinted (the byte parse's common lines), to which
   * `entries` are added; its words are given up to the build.
   */
  static *buildSteps(
    entries: Iterable<string>,
    hashed?: EntryFingerprints,
  ): Generator<void, DomainSet> {
    const prints = hashed ?? new EntryFingerprints(expectedCount(entries));
    for (const entry of entries) {
      prints.add(entry);
      if (prints.count % ENTRIES_PER_STEP === 0) yield;
    }
    return new DomainSet(yield* laySteps(prints));
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

  /**
   * A set over parts made before, by `parts` of a built set (set_file.ts reads them from a
   * stored set's bytes): its arrays are used as they are, never written.
   */
  static fromParts(parts: DomainSetParts): DomainSet {
    return new DomainSet(parts);
  }

  /** What the set is made of: its arrays trimmed to the entries held (no room past `size`). */
  parts(): DomainSetParts {
    const { shift, directory, size, plainDepths, wildDepths } = this;
    return {
      shift,
      directory,
      lows: this.lows.subarray(0, size),
      tags: this.tags.subarray(0, size),
      size,
      plainDepths,
      wildDepths,
    };
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
