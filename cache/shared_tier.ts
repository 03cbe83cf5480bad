/**
 * The shared cache tier (L2): answers written to a store every instance can read (Redis), so
 * a fresh Deno Deploy isolate or a second VM starts warm. It never slows an answer down:
 * reads give up after a short timeout and count as a miss, writes are queued and sent in
 * batches off the query path, and a store that is down only shows in the counters.
 *
 * Value layout: 1 byte format version, 8 bytes write time (ms since the epoch, float64), then
 * the answer's wire bytes with their TTLs as of that time. The store expires the key when the
 * answer does, and a reader ages the TTLs by the time since the write.
 */
import { agedBy } from "./ttl_patch.ts";
import { scanRecords } from "../dns/mod.ts";

/** The calls the tier needs from a store (Redis through either client). */
export interface SharedStore {
  get(key: string): Promise<Uint8Array | null>;
  setMany(entries: { key: string; value: Uint8Array; ttlSeconds: number }[]): Promise<void>;
  deleteMatching(pattern: string): Promise<number>;
}

export interface SharedTierOptions {
  /** Prepended to every key, so one Redis can serve several deployments. */
  prefix?: string;
  /** Longest wait for a read before going upstream instead, milliseconds. */
  readTimeoutMs?: number;
  /** Writes wait this long to be batched, milliseconds. */
  flushDelayMs?: number;
  /** Writes queued beyond this are dropped (the store is too slow or down). */
  maxQueued?: number;
  now?: () => number;
  onError?: (error: unknown) => void;
}

export interface SharedTierStats {
  reads: number;
  hits: number;
  writes: number;
  errors: number;
  dropped: number;
}

const FORMAT = 1;
const HEADER = 9;

export class SharedTier {
  #store: SharedStore;
  #prefix: string;
  #readTimeoutMs: number;
  #flushDelayMs: number;
  #maxQueued: number;
  #now: () => number;
  #onError: (error: unknown) => void;
  #queue = new Map<string, { key: string; value: Uint8Array; ttlSeconds: number }>();
  #timer?: ReturnType<typeof setTimeout>;
  #flushing?: Promise<void>;
  #stats: SharedTierStats = { reads: 0, hits: 0, writes: 0, errors: 0, dropped: 0 };

  constructor(store: SharedStore, options: SharedTierOptions = {}) {
    this.#store = store;
    this.#prefix = options.prefix ?? "dns:cache:";
    this.#readTimeoutMs = options.readTimeoutMs ?? 50;
    this.#flushDelayMs = options.flushDelayMs ?? 20;
    this.#maxQueued = options.maxQueued ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /** The answer aged to now, or undefined (miss, expired, unreadable, slow or failing store). */
  async read(key: string): Promise<Uint8Array | undefined> {
    this.#stats.reads++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#readTimeoutMs);
    });
    try {
      const value = await Promise.race([this.#store.get(this.#prefix + key), timeout]);
      if (!value || value.length <= HEADER || value[0] !== FORMAT) return undefined;
      const writtenAt = new DataView(value.buffer, value.byteOffset + 1, 8).getFloat64(0);
      const bytes = value.subarray(HEADER);
      const elapsed = Math.max(0, Math.floor((this.#now() - writtenAt) / 1000));
      const aged = agedBy(bytes, scanRecords(bytes).ttlOffsets, elapsed);
      this.#stats.hits++;
      return aged;
    } catch (error) {
      this.#stats.errors++;
      this.#onError(error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Queues `bytes` to be kept for `ttlSeconds`; returns at once. */
  write(key: string, bytes: Uint8Array, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return;
    if (this.#queue.size >= this.#maxQueued && !this.#queue.has(key)) {
      this.#stats.dropped++;
      return;
    }
    const value = new Uint8Array(HEADER + bytes.length);
    value[0] = FORMAT;
    new DataView(value.buffer, 1, 8).setFloat64(0, this.#now());
    value.set(bytes, HEADER);
    this.#queue.set(key, { key: this.#prefix + key, value, ttlSeconds: Math.ceil(ttlSeconds) });
    this.#timer ??= setTimeout(() => void this.flush(), this.#flushDelayMs);
  }

  /** Sends what is queued now; resolves when the store has it (or failed). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    if (this.#queue.size === 0) return;
    const batch = [...this.#queue.values()];
    this.#queue.clear();
    this.#flushing = this.#store.setMany(batch).then(
      () => void (this.#stats.writes += batch.length),
      (error) => {
        this.#stats.errors++;
        this.#onError(error);
      },
    );
    await this.#flushing;
  }

  /**
   * Deletes the shared answers for `name` (every type and flag), or all of them; resolves to
   * how many. Rejects when the store fails: an admin asked, and should know.
   */
  async purge(name?: string): Promise<number> {
    for (const key of [...this.#queue.keys()]) {
      if (name === undefined || key.startsWith(`${name}|`)) this.#queue.delete(key);
    }
    // Glob characters in a name are matched literally.
    const pattern = name === undefined ? "*" : `${name.replace(/[*?[\]\\]/g, "\\$&")}|*`;
    return await this.#store.deleteMatching(this.#prefix + pattern);
  }

  stats(): SharedTierStats {
    return { ...this.#stats };
  }
}
