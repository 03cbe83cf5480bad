/**
 * The in-memory answer cache (L1): wire bytes keyed by `cacheKey`, bounded by bytes with
 * least-recently-used eviction (second chance: a hit only marks its entry; eviction passes
 * over marked entries once, moving them to the recent end), aged on every hit. It decides what may enter (RFC 2308
 * negative answers only with an SOA; never truncated answers; errors only when configured)
 * and keeps expired entries a while longer so they can be served stale (RFC 8767).
 */
import {
  aliasTargets,
  answerAddresses,
  answerCount,
  hasQuestion,
  isTruncated,
  Rcode,
  ttlAt,
} from "../dns/mod.ts";
import type { Answer, QueryContext, Reusable } from "../pipeline/types.ts";
import { agedBy, clampTtl, clampTtls, withTtls } from "./ttl_patch.ts";

export interface CacheOptions {
  /** Upper bound of the bytes held (answers, keys and bookkeeping). */
  maxBytes: number;
  /** TTL clamps, seconds: answers live at least `minTtl` and at most `maxTtl`. */
  minTtl: number;
  maxTtl: number;
  /** How long SERVFAIL/REFUSED answers are kept; 0 keeps none. */
  errorTtl: number;
  /** How long past expiry an entry may still be served stale, seconds; 0 disables. */
  maxStaleSeconds: number;
  /** Injectable clock, milliseconds (DESIGN §8). */
  now?: () => number;
}

export const DEFAULT_CACHE_OPTIONS: Readonly<CacheOptions> = {
  maxBytes: 64 * 1024 * 1024,
  minTtl: 0,
  maxTtl: 86_400,
  errorTtl: 0,
  maxStaleSeconds: 86_400,
};

/**
 * Fixed cost counted per entry besides its bytes and key: the entry object, the typed arrays
 * and their buffer, the offsets array and the map slot; and per CNAME or DNAME target kept,
 * besides its text. Set so that CACHE_MAX_BYTES bounds the memory the entries really take,
 * V8's heap and the buffers outside it (`deno task bench:cache-memory` checks it).
 */
const ENTRY_OVERHEAD = 496;
const ALIAS_OVERHEAD = 32;

/**
 * How much more memory an entry takes under the V8 of the oldest Deno we run on (14, Deno
 * 2.5.7, Deno Deploy's) than under the one the overheads above were measured on (15): the same
 * entries measured 1.32-1.38 times as large (`bench:cache-memory` run by both). Each entry
 * counts that much more there, so CACHE_MAX_BYTES bounds real memory on both.
 */
const LAYOUT = v8Major() < 15 ? 1.35 : 1;

function v8Major(): number {
  const major = Number((globalThis.Deno?.version?.v8 ?? "").split(".")[0]);
  return Number.isFinite(major) && major > 0 ? major : 15;
}

interface Entry {
  key: string;
  /** The answer with clamped TTLs, as inserted. */
  bytes: Uint8Array;
  ttlOffsets: number[];
  rcode: number;
  /** The answer's client-subnet scope (types.ts `Answer`). */
  subnetScope: number | undefined;
  /** Its CNAME and DNAME targets, read once here rather than at each hit (types.ts `Answer`). */
  aliases: readonly string[];
  /** Its A and AAAA addresses, read once here too (types.ts `Answer`). */
  addresses: Uint8Array;
  /** Lifetime at insert, seconds. */
  lifetime: number;
  storedAt: number;
  size: number;
  hits: number;
  refreshing: boolean;
  /** Hit since eviction last passed it: it gets a second chance instead of going. */
  used: boolean;
}

export interface CacheHit {
  /** The answer aged to now (TTLs lowered by the time spent in the cache). */
  answer: Answer;
  /** Seconds of freshness left; 0 or less means the entry is stale. */
  remaining: number;
  /** Lifetime at insert, seconds. */
  lifetime: number;
  /** Hits so far, this one included. */
  hits: number;
  /** Marks the entry as being refreshed; false when a refresh is already running. */
  claimRefresh(): boolean;
  releaseRefresh(): void;
  /**
   * How long the aged answer holds as it is (to the end of this second of the entry's life),
   * and how a reuse of it counts: a hit, as this lookup counted.
   */
  reusable(): Reusable;
}

/** The counts a cache keeps, shared with its hits so that a reuse counts as a hit. */
interface Counts {
  hits: number;
  misses: number;
  evictions: number;
}

/** A CacheHit with methods rather than two closures per hit (the hot path of cached answers). */
class Hit implements CacheHit {
  readonly answer: Answer;
  readonly remaining: number;
  readonly lifetime: number;
  readonly hits: number;
  readonly #entry: Entry;
  readonly #elapsed: number;
  readonly #counts: Counts;

  constructor(answer: Answer, remaining: number, entry: Entry, elapsed: number, counts: Counts) {
    this.answer = answer;
    this.remaining = remaining;
    this.lifetime = entry.lifetime;
    this.hits = entry.hits;
    this.#entry = entry;
    this.#elapsed = elapsed;
    this.#counts = counts;
  }

  reusable(): Reusable {
    const until = this.#entry.storedAt + (this.#elapsed + 1) * 1000;
    return new Reuse(this.#entry, this.#counts, until);
  }

  claimRefresh(): boolean {
    if (this.#entry.refreshing) return false;
    this.#entry.refreshing = true;
    return true;
  }

  releaseRefresh(): void {
    this.#entry.refreshing = false;
  }
}

/**
 * A hit's answer held for reuse (pipeline/answer_memo.ts): apart from the hit, which holds the
 * answer's bytes (a view into a shared slab), so that keeping it keeps no slab.
 */
class Reuse implements Reusable {
  readonly until: number;
  readonly #entry: Entry;
  readonly #counts: Counts;

  constructor(entry: Entry, counts: Counts, until: number) {
    this.until = until;
    this.#entry = entry;
    this.#counts = counts;
  }

  touch(): void {
    this.#counts.hits++;
    this.#entry.hits++;
    this.#entry.used = true;
  }
}

export interface CacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class AnswerCache {
  readonly options: Readonly<CacheOptions>;
  #entries = new Map<string, Entry>();
  #bytes = 0;
  readonly #counts: Counts = { hits: 0, misses: 0, evictions: 0 };
  #version = 0;
  #now: () => number;

  constructor(options: Partial<CacheOptions> = {}) {
    this.options = { ...DEFAULT_CACHE_OPTIONS, ...options };
    this.#now = options.now ?? Date.now;
  }

  /**
   * The entry for `key`, fresh or (within the stale window) expired; undefined otherwise.
   * A fresh hit counts and marks the entry used. Moving it to the recent end on every hit
   * (delete, then set) made each hit rehash a share of the whole Map, so a hit cost more the
   * fuller the cache; a hit must cost the same at any size. Eviction does the moving instead.
   */
  lookup(key: string): CacheHit | undefined {
    const entry = this.#entries.get(key);
    const counts = this.#counts;
    if (entry === undefined) {
      counts.misses++;
      return undefined;
    }
    const elapsed = Math.floor((this.#now() - entry.storedAt) / 1000);
    const remaining = entry.lifetime - elapsed;
    if (remaining <= -this.options.maxStaleSeconds) {
      this.#remove(entry);
      counts.misses++;
      return undefined;
    }
    if (remaining > 0) {
      counts.hits++;
      entry.hits++;
      entry.used = true;
    } else {
      counts.misses++;
    }
    const answer: Answer = {
      bytes: agedBy(entry.bytes, entry.ttlOffsets, elapsed),
      rcode: entry.rcode,
      ttl: Math.max(0, remaining),
      ttlOffsets: entry.ttlOffsets,
      source: "cache",
      subnetScope: entry.subnetScope,
      aliases: entry.aliases,
      addresses: entry.addresses,
      // The stage says whether it may be reused (not when it is due for a prefetch).
      reusable: undefined,
    };
    return new Hit(answer, remaining, entry, elapsed, counts);
  }

  /**
   * Keeps `answer` for the question of `ctx` if the rules allow; returns the lifetime it was
   * given in seconds, 0 when it was not kept. Only answers from an upstream (or the shared
   * tier) are offered: the stage never offers blocked or local ones.
   */
  store(key: string, ctx: Pick<QueryContext, "question">, answer: Answer): number {
    const lifetime = this.#lifetimeOf(ctx, answer);
    if (lifetime === undefined || lifetime <= 0) return 0;
    // The answer and its addresses in one buffer: a buffer is the larger part of an entry.
    const length = answer.bytes.length;
    const { minTtl } = this.options;
    const highest = this.#highestTtl(answer, lifetime);
    let held: Uint8Array;
    // The entry's addresses: a view of `held` after the answer (or none).
    let kept: Uint8Array;
    if (answer.addresses === undefined) {
      // Read straight into the entry's buffer, after room for the answer: no buffer of their
      // own (this runs on every miss).
      const found = answerAddresses(answer.bytes, length);
      if (found.length === 0) {
        held = withTtls(answer.bytes, answer.ttlOffsets, minTtl, highest);
        kept = found;
      } else {
        held = found;
        held.set(answer.bytes);
        clampTtls(held, answer.ttlOffsets, minTtl, highest);
        kept = held.subarray(length);
      }
      // Told to the answer too: the stages above read them on its way back (blocklist/stage.ts).
      answer.addresses = kept;
    } else {
      held = withTtls(answer.bytes, answer.ttlOffsets, minTtl, highest, answer.addresses);
      kept = held.length === length ? answer.addresses : held.subarray(length);
    }
    const bytes = held.length === length ? held : held.subarray(0, length);
    const aliases = answer.aliases ??= aliasTargets(bytes);
    let size = held.length + key.length * 2 + answer.ttlOffsets.length * 8 + ENTRY_OVERHEAD;
    for (const alias of aliases) size += alias.length + ALIAS_OVERHEAD;
    size = Math.ceil(size * LAYOUT);
    if (size > this.options.maxBytes) return 0;
    const old = this.#entries.get(key);
    if (old !== undefined) this.#remove(old);
    const entry: Entry = {
      key,
      bytes,
      // Both arrays are made at their exact length where they are read (scanRecords,
      // aliasTargets): room to grow would be held as long as the entry is.
      ttlOffsets: answer.ttlOffsets,
      rcode: answer.rcode,
      subnetScope: answer.subnetScope,
      aliases,
      addresses: kept,
      lifetime,
      storedAt: this.#now(),
      size,
      hits: 0,
      refreshing: false,
      used: false,
    };
    this.#entries.set(key, entry);
    this.#bytes += size;
    this.#evictOverflow();
    return lifetime;
  }

  /**
   * The answer as clients see it, the first time as on every hit: each TTL within
   * `minTtl`..`maxTtl` (a negative or error answer's within its own lifetime), and its `ttl`
   * (the HTTP max-age) the lifetime the cache gives it. The answer itself when nothing moves.
   */
  clamped(ctx: Pick<QueryContext, "question">, answer: Answer): Answer {
    const { minTtl } = this.options;
    const highest = this.#highestTtl(answer, this.#lifetimeOf(ctx, answer));
    const { bytes, ttlOffsets } = answer;
    const ttl = answer.ttl === undefined ? undefined : clampTtl(answer.ttl, minTtl, highest);
    let moves = ttl !== answer.ttl;
    for (let i = 0; !moves && i < ttlOffsets.length; i++) {
      const was = ttlAt(bytes, ttlOffsets[i]);
      moves = clampTtl(was, minTtl, highest) !== was;
    }
    if (!moves) return answer;
    return { ...answer, bytes: withTtls(bytes, ttlOffsets, minTtl, highest), ttl };
  }

  /**
   * Seconds of life the entry for `key` has left (negative: stale), without counting a hit
   * or touching its place in the LRU order: for explaining, not answering.
   */
  peek(
    key: string,
  ): { remaining: number; lifetime: number; hits: number; bytes: Uint8Array } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const elapsed = Math.floor((this.#now() - entry.storedAt) / 1000);
    return {
      remaining: entry.lifetime - elapsed,
      lifetime: entry.lifetime,
      hits: entry.hits,
      bytes: entry.bytes,
    };
  }

  /**
   * A number that moves with every delete and clear (not with stores and evictions: an answer
   * reused for the rest of its second after its entry went is still right).
   */
  get version(): number {
    return this.#version;
  }

  delete(key: string): boolean {
    this.#version++;
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#remove(entry);
    return entry !== undefined;
  }

  /** Drops every entry whose key is for `name` (any type, class and flags). */
  deleteName(name: string): number {
    this.#version++;
    let count = 0;
    for (const entry of [...this.#entries.values()]) {
      if (entry.key.startsWith(`${name}|`)) {
        this.#remove(entry);
        count++;
      }
    }
    return count;
  }

  clear(): void {
    this.#version++;
    this.#entries.clear();
    this.#bytes = 0;
  }

  stats(): CacheStats {
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#counts.hits,
      misses: this.#counts.misses,
      evictions: this.#counts.evictions,
    };
  }

  /** Seconds the answer may be kept, clamped; undefined when it must not be kept at all. */
  #lifetimeOf(ctx: Pick<QueryContext, "question">, answer: Answer): number | undefined {
    const { minTtl, maxTtl, errorTtl } = this.options;
    // Read in the answer's bytes (dns/view.ts `hasQuestion`): it runs twice per miss.
    const bytes = answer.bytes;
    if (!hasQuestion(bytes, ctx.question) || isTruncated(bytes)) return undefined;
    if (isError(answer.rcode)) return errorTtl > 0 ? errorTtl : undefined;
    // answer.ttl is undefined for negative answers without an SOA (RFC 2308 §5: not cached).
    if (answer.ttl === undefined) return undefined;
    return Math.min(Math.max(answer.ttl, minTtl), maxTtl);
  }

  /**
   * The highest record TTL kept (the lowest is `minTtl`): `maxTtl`, or for a negative or error
   * answer (whose lifetime comes from its SOA or CACHE_ERROR_TTL) that lifetime. A number, not
   * a clamp function: two were made per miss.
   */
  #highestTtl(answer: Answer, lifetime: number | undefined): number {
    const negative = answer.rcode === Rcode.NXDOMAIN ||
      (answer.rcode === Rcode.NOERROR && answer.ttl !== undefined && isNoData(answer.bytes));
    return lifetime !== undefined && (negative || isError(answer.rcode))
      ? lifetime
      : this.options.maxTtl;
  }

  #remove(entry: Entry): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    this.#bytes -= entry.size;
  }

  #evictOverflow(): void {
    // Oldest first; an entry hit since it was last passed goes to the recent end instead
    // (once: its mark is cleared), so the least recently used unmarked entry goes.
    while (this.#bytes > this.options.maxBytes) {
      const oldest = this.#entries.values().next().value;
      if (oldest === undefined) return;
      if (oldest.used) {
        oldest.used = false;
        this.#entries.delete(oldest.key);
        this.#entries.set(oldest.key, oldest);
        continue;
      }
      this.#remove(oldest);
      this.#counts.evictions++;
    }
  }
}

function isError(rcode: number): boolean {
  return rcode === Rcode.SERVFAIL || rcode === Rcode.REFUSED;
}

/** NOERROR with an empty answer section. */
function isNoData(bytes: Uint8Array): boolean {
  return answerCount(bytes) === 0;
}
