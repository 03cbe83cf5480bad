/**
 * The history's door on the answering thread: each query costs two array pushes, or, where the
 * one store takes packed batches (SQLite alone), a row packed at once (history_batch.ts
 * `BatchPacker`), so that no entry outlives its query. Every `flushMs`, or once `maxBatch`
 * entries wait, the batch goes to the stores at once (one message to the SQLite worker, one
 * Redis pipeline, one fold into memory). Batches are large (a second, or 10,000 entries): the
 * worker's cost per row falls with the batch, as a transaction writes each page it touches
 * once however many rows it adds there. At most
 * `maxQueued` entries wait, counting those a store has been given and not yet stored; beyond,
 * entries are dropped and counted (`dns_history_dropped_total`), never waited for.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
// Types only: the packer's module loads with the store that packs (not before a first answer).
import type { BatchPacker, PackedBatch } from "./history_batch.ts";
import { type LightTimeout, lightTimeout } from "../runtime/light_timer.ts";

/** A store a batch goes to. */
export interface HistorySink {
  write(entries: QueryLogEntry[], answers: (Uint8Array | undefined)[]): void;
  /** A packer for this store's rows, where the store takes batches packed as entries come. */
  newPacker?(): BatchPacker;
  /** Takes a batch packed as its entries came (its buffer is the store's to transfer). */
  writePacked?(batch: PackedBatch): void;
  /** Entries given and not yet stored. */
  pending?(): number;
}

export interface HistoryBatcherOptions {
  sinks: HistorySink[];
  flushMs?: number;
  maxBatch?: number;
  maxQueued?: number;
}

export class HistoryBatcher {
  /** Entries dropped for want of room. */
  dropped = 0;
  #sinks: HistorySink[];
  #entries: QueryLogEntry[] = [];
  #answers: (Uint8Array | undefined)[] = [];
  /** Where entries are packed as they come, when the one store takes packed batches. */
  #packer?: BatchPacker;
  /** Light (runtime/light_timer.ts): the first query must not load Node's timers. */
  #timer?: LightTimeout;
  #flushMs: number;
  #maxBatch: number;
  #maxQueued: number;
  #pending = 0;
  /** Told there is no store: entries are not kept. */
  #off = false;

  constructor(options: HistoryBatcherOptions) {
    this.#sinks = options.sinks;
    this.#flushMs = options.flushMs ?? 1000;
    this.#maxBatch = options.maxBatch ?? 10_000;
    this.#maxQueued = options.maxQueued ?? 50_000;
  }

  /** One query, as the query log's observers see it. */
  record(entry: QueryLogEntry, answer?: Uint8Array): void {
    if (this.#off) return;
    const waiting = this.#waiting();
    if (waiting + this.#pending >= this.#maxQueued) {
      // The stores may have caught up since the last flush: with nothing waiting no flush
      // would come to say so, and every entry would be dropped for good.
      this.#pending = this.#storesPending();
      if (waiting + this.#pending >= this.#maxQueued) {
        this.dropped++;
        return;
      }
    }
    if (this.#packer) this.#packer.add(entry, answer);
    else {
      this.#entries.push(entry);
      this.#answers.push(answer);
    }
    if (waiting === 0) this.#timer = lightTimeout(this.#flushMs, () => this.flush());
    else if (waiting + 1 >= this.#maxBatch) this.flush();
  }

  /**
   * The stores batches go to, once they are open (after the door opens: they are not needed
   * for a first answer). Until then entries wait, within `maxQueued`.
   */
  setSinks(sinks: HistorySink[]): void {
    // Rows packed for a store go to it before another takes over.
    if (this.#packer && this.#packer.count > 0) this.flush();
    this.#sinks = sinks;
    // No store (no SQLite, no Redis): the query log's ring is the history, and each query
    // costs nothing here from now on.
    this.#off = sinks.length === 0;
    this.#packer = sinks.length === 1 && sinks[0].writePacked ? sinks[0].newPacker?.() : undefined;
    if (this.#off) {
      this.#timer?.cancel();
      this.#entries = [];
      this.#answers = [];
      return;
    }
    if (this.#packer) {
      // Entries that waited for a store are packed like the ones to come.
      for (let i = 0; i < this.#entries.length; i++) {
        this.#packer.add(this.#entries[i], this.#answers[i]);
      }
      this.#entries = [];
      this.#answers = [];
    }
    this.flush();
  }

  /** Gives the waiting batch to the stores now. */
  flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#waiting() === 0 || this.#sinks.length === 0) return;
    if (this.#packer) {
      this.#sinks[0].writePacked!(this.#packer.pack());
      this.#pending = this.#storesPending();
      return;
    }
    const entries = this.#entries;
    const answers = this.#answers;
    this.#entries = [];
    this.#answers = [];
    for (const sink of this.#sinks) sink.write(entries, answers);
    this.#pending = this.#storesPending();
  }

  /** Entries waiting for the next flush. */
  #waiting(): number {
    return this.#packer ? this.#packer.count : this.#entries.length;
  }

  /** Entries the slowest store was given and has not stored. */
  #storesPending(): number {
    let pending = 0;
    for (const sink of this.#sinks) pending = Math.max(pending, sink.pending?.() ?? 0);
    return pending;
  }
}
