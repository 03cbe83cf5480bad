/**
 * A batch of the history as it crosses to the worker: columns in one ArrayBuffer, transferred,
 * not cloned. Cloning the entries as objects cost the answering thread a walk of every field,
 * and each answer, a view into a shared slab or the cache's buffers, cost a copy of its whole
 * buffer; here each answer's own bytes are copied once into the batch's buffer. The texts
 * (names, clients, door, source, upstream, ...) are sent once per batch, each row naming them
 * by index, so the worker resolves each text to its database id once per batch, not per row.
 * Each answer starts on a four-byte boundary, zero-padded to the next, so the worker compares
 * answers four bytes at a time (`answerWords`).
 */
import type { QueryLogEntry } from "../pipeline/types.ts";

/** The batch as it is posted: `buffer` goes in the transfer list. */
export interface PackedBatch {
  count: number;
  buffer: ArrayBuffer;
  /** The batch's texts; rows name them by index, -1 for none. */
  texts: string[];
}

/** The text fields of a row, each an index into `texts` (-1: the entry has none). */
const TEXT_FIELDS = [
  "name",
  "client",
  "clientName",
  "door",
  "method",
  "profile",
  "logMode",
  "source",
  "rule",
  "upstream",
  "error",
] as const;

type TextField = typeof TEXT_FIELDS[number];

/**
 * Where each int32 of a row sits (a row is `INTS` of them from `row * INTS`): the texts, the
 * type, the rcode (-1 none), where the answer's bytes are (-1 none) and their length.
 */
export const COLUMN = {
  name: 0,
  client: 1,
  clientName: 2,
  door: 3,
  method: 4,
  profile: 5,
  logMode: 6,
  source: 7,
  rule: 8,
  upstream: 9,
  error: 10,
  type: 11,
  rcode: 12,
  answerAt: 13,
  answerLength: 14,
} as const;
export const INTS = 15;
const TYPE = COLUMN.type;
const RCODE = COLUMN.rcode;
const ANSWER_AT = COLUMN.answerAt;
const ANSWER_LENGTH = COLUMN.answerLength;

/** A batch read back: one column per field, row by row. */
export interface HistoryBatch {
  count: number;
  texts: string[];
  time: Float64Array;
  /** durationMs; NaN when the entry has none. */
  duration: Float64Array;
  /** Per row, INTS int32s: the TEXT_FIELDS indexes, type, rcode, the answer's place. */
  ints: Int32Array;
  /** The answers' bytes, rows point into it. */
  answerBytes: Uint8Array;
}

/**
 * Packs entries and the answers they were logged with into one buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packBatch, unpackBatch, entryAt } from "./history_batch.ts";
 *
 * const entry = { time: 1, client: "192.0.2.1", door: "udp" as const, name: "a.example", type: 1 };
 * const batch = unpackBatch(packBatch([entry], [new Uint8Array([1, 2, 3])]));
 * assert.deepEqual(entryAt(batch, 0), entry);
 * ```
 */
export function packBatch(
  entries: readonly QueryLogEntry[],
  answers: readonly (Uint8Array | undefined)[],
): PackedBatch {
  const packer = new BatchPacker();
  for (let i = 0; i < entries.length; i++) packer.add(entries[i], answers[i]);
  return packer.pack();
}

/** Rows a packer has room for before it first grows. */
const FIRST_ROWS = 256;
/** Answer bytes a packer keeps room for from batch to batch; more is let go after a pack. */
const KEPT_ANSWER_BYTES = 1 << 20;

/**
 * A batch packed as its entries come, so that nothing of an entry outlives its query: holding
 * a second's entries as objects until the batch went made them live long enough to be promoted
 * and collected as old ones. The columns grow by doubling and are kept from batch to batch;
 * `pack` copies them into the one buffer that is posted.
 */
export class BatchPacker {
  #count = 0;
  #time = new Float64Array(FIRST_ROWS);
  #duration = new Float64Array(FIRST_ROWS);
  #ints = new Int32Array(FIRST_ROWS * INTS);
  #bytes = new Uint8Array(FIRST_ROWS * 64);
  #bytesUsed = 0;
  #texts: string[] = [];
  #index = new Map<string, number>();

  /** Rows added since the last `pack`. */
  get count(): number {
    return this.#count;
  }

  /** Bytes of room held for answers (tests read it). */
  get answerRoom(): number {
    return this.#bytes.length;
  }

  /** One row: the entry and the answer it was logged with, its bytes copied now. */
  add(entry: QueryLogEntry, answer: Uint8Array | undefined): void {
    const i = this.#count;
    if (i === this.#time.length) this.#growRows();
    this.#count = i + 1;
    this.#time[i] = entry.time;
    this.#duration[i] = entry.durationMs ?? NaN;
    const ints = this.#ints;
    const row = i * INTS;
    ints[row + COLUMN.name] = this.#textIndex(entry.name);
    ints[row + COLUMN.client] = this.#textIndex(entry.client);
    ints[row + COLUMN.clientName] = this.#textIndex(entry.clientName);
    ints[row + COLUMN.door] = this.#textIndex(entry.door);
    ints[row + COLUMN.method] = this.#textIndex(entry.method);
    ints[row + COLUMN.profile] = this.#textIndex(entry.profile);
    ints[row + COLUMN.logMode] = this.#textIndex(entry.logMode);
    ints[row + COLUMN.source] = this.#textIndex(entry.source);
    ints[row + COLUMN.rule] = this.#textIndex(entry.rule);
    ints[row + COLUMN.upstream] = this.#textIndex(entry.upstream);
    ints[row + COLUMN.error] = this.#textIndex(entry.error);
    ints[row + TYPE] = entry.type;
    ints[row + RCODE] = entry.rcode ?? -1;
    if (answer === undefined) {
      ints[row + ANSWER_AT] = -1;
      ints[row + ANSWER_LENGTH] = 0;
      return;
    }
    const at = this.#bytesUsed;
    const end = at + padded(answer.length);
    if (end > this.#bytes.length) this.#growBytes(end);
    // Zero the padding: answers are compared four bytes at a time.
    this.#bytes.fill(0, at + answer.length, end);
    this.#bytes.set(answer, at);
    this.#bytesUsed = end;
    ints[row + ANSWER_AT] = at;
    ints[row + ANSWER_LENGTH] = answer.length;
  }

  /** The rows added so far as one buffer to post; the packer starts a new batch. */
  pack(): PackedBatch {
    const count = this.#count;
    const floatsEnd = count * 16;
    const intsEnd = floatsEnd + count * INTS * 4;
    const buffer = new ArrayBuffer(intsEnd + this.#bytesUsed);
    const floats = new Float64Array(buffer, 0, count * 2);
    floats.set(this.#time.subarray(0, count));
    floats.set(this.#duration.subarray(0, count), count);
    new Int32Array(buffer, floatsEnd, count * INTS).set(this.#ints.subarray(0, count * INTS));
    new Uint8Array(buffer, intsEnd).set(this.#bytes.subarray(0, this.#bytesUsed));
    const texts = this.#texts;
    // The rows are bounded by the batcher's largest batch; answers can be large: a batch of
    // big ones leaves no more than KEPT_ANSWER_BYTES held.
    if (this.#bytes.length > KEPT_ANSWER_BYTES) this.#bytes = new Uint8Array(FIRST_ROWS * 64);
    this.#count = 0;
    this.#bytesUsed = 0;
    this.#texts = [];
    this.#index.clear();
    return { count, buffer, texts };
  }

  #textIndex(text: string | undefined): number {
    if (text === undefined) return -1;
    let at = this.#index.get(text);
    if (at === undefined) {
      at = this.#texts.push(text) - 1;
      this.#index.set(text, at);
    }
    return at;
  }

  #growRows(): void {
    const rows = this.#time.length * 2;
    const time = new Float64Array(rows);
    time.set(this.#time);
    this.#time = time;
    const duration = new Float64Array(rows);
    duration.set(this.#duration);
    this.#duration = duration;
    const ints = new Int32Array(rows * INTS);
    ints.set(this.#ints);
    this.#ints = ints;
  }

  #growBytes(needed: number): void {
    let size = this.#bytes.length * 2;
    while (size < needed) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.#bytes.subarray(0, this.#bytesUsed));
    this.#bytes = bytes;
  }
}

/**
 * The columns of a packed batch (no copy).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packBatch, textOf, unpackBatch } from "./history_batch.ts";
 *
 * const entry = { time: 1, client: "", door: "doh" as const, name: "b.example", type: 28 };
 * const batch = unpackBatch(packBatch([entry, entry], []));
 * assert.equal(batch.count, 2);
 * assert.equal(textOf(batch, 1, "name"), "b.example");
 * assert.equal(batch.texts.length, 3, "each text sent once");
 * ```
 */
export function unpackBatch(packed: PackedBatch): HistoryBatch {
  const { count, buffer, texts } = packed;
  const floatsEnd = count * 16;
  const intsEnd = floatsEnd + count * INTS * 4;
  return {
    count,
    texts,
    time: new Float64Array(buffer, 0, count),
    duration: new Float64Array(buffer, count * 8, count),
    ints: new Int32Array(buffer, floatsEnd, count * INTS),
    answerBytes: new Uint8Array(buffer, intsEnd),
  };
}

/** A length rounded up to whole four-byte words: where the next answer starts. */
function padded(length: number): number {
  return (length + 3) & ~3;
}

/**
 * The answers' bytes as four-byte words: a row's answer is the words from its offset / 4,
 * `ceil(length / 4)` of them, the last zero-padded.
 */
export function answerWords(batch: HistoryBatch): Int32Array {
  const bytes = batch.answerBytes;
  return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
}

/** The index into `texts` of a row's field, -1 when the entry had none. */
export function textIndex(batch: HistoryBatch, row: number, field: TextField): number {
  return batch.ints[row * INTS + COLUMN[field]];
}

/** A row's text field, undefined when the entry had none. */
export function textOf(batch: HistoryBatch, row: number, field: TextField): string | undefined {
  const at = textIndex(batch, row, field);
  return at < 0 ? undefined : batch.texts[at];
}

/** A row's record type. */
export function typeAt(batch: HistoryBatch, row: number): number {
  return batch.ints[row * INTS + TYPE];
}

/** A row's rcode, undefined when the query got no answer. */
export function rcodeAt(batch: HistoryBatch, row: number): number | undefined {
  const rcode = batch.ints[row * INTS + RCODE];
  return rcode < 0 ? undefined : rcode;
}

/** The bytes of the answer a row was logged with (a view into the batch), if any. */
export function answerAt(batch: HistoryBatch, row: number): Uint8Array | undefined {
  const at = batch.ints[row * INTS + ANSWER_AT];
  if (at < 0) return undefined;
  return batch.answerBytes.subarray(at, at + batch.ints[row * INTS + ANSWER_LENGTH]);
}

/** A row as the log entry it was packed from. */
export function entryAt(batch: HistoryBatch, row: number): QueryLogEntry {
  const entry = { time: batch.time[row] } as QueryLogEntry;
  const fields = entry as unknown as Record<string, unknown>;
  for (const field of TEXT_FIELDS) {
    const at = batch.ints[row * INTS + COLUMN[field]];
    if (at >= 0) fields[field] = batch.texts[at];
  }
  entry.type = typeAt(batch, row);
  const rcode = rcodeAt(batch, row);
  if (rcode !== undefined) entry.rcode = rcode;
  if (!Number.isNaN(batch.duration[row])) entry.durationMs = batch.duration[row];
  return entry;
}
