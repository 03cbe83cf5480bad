/**
 * The answers of the history's batches in brief (observe/history_worker.ts), each decoded as
 * seldom as can be: cached answers repeat byte for byte within a batch but for the ID, which
 * the text does not show (a UDP client picks its own), so it is set to 0; and from batch to
 * batch but for their TTLs, which age and which the text does not show either. A batch's
 * answers are told apart by a hash of their words, then compared; each distinct one is looked
 * up, its TTLs set to 0, among the answers decoded lately (at most `ANSWERS_KEPT`), and decoded
 * only when it is not there.
 */
import { scanRecords, setIdAt, setTtlAt } from "../dns/mod.ts";
import { answerWords, COLUMN, type HistoryBatch, INTS } from "./history_batch.ts";
import type { BatchAnswers } from "./history_db.ts";
import { answerText } from "./recent_queries.ts";

/** Answers decoded lately that are kept; the memory is cleared when it holds more. */
export const ANSWERS_KEPT = 20_000;
/**
 * Bytes those answers may hold (their words and texts): answers of up to 64 KiB (TCP, DoH)
 * would let `ANSWERS_KEPT` of them hold over a GiB; the memory is cleared past this too.
 */
export const ANSWERS_KEPT_BYTES = 16 * 1024 * 1024;
/** Longest answer looked up among those decoded lately (a DNS message over TCP at most). */
const LONGEST = 65_536;

interface Decoded {
  /** The answer with ID and TTLs 0, in whole words. */
  words: Int32Array;
  length: number;
  text: string;
}

export class AnswerTexts {
  #decoded = new Map<number, Decoded[]>();
  #kept = 0;
  /** What the kept answers hold, in bytes (their words, and their texts at two per char). */
  #keptBytes = 0;
  #decode: (answer: Uint8Array) => string;
  /** Where an answer's TTLs are set to 0 before it is looked up. */
  #scratch = new Int32Array(LONGEST / 4);
  #scratchBytes = new Uint8Array(this.#scratch.buffer);

  /** `decode` makes an answer's text (tests count its calls). */
  constructor(decode: (answer: Uint8Array) => string = answerText) {
    this.#decode = decode;
  }

  /** The batch's answers in brief: each distinct text once, and which is each row's. */
  of(batch: HistoryBatch): BatchAnswers {
    const { ints, answerBytes } = batch;
    const words = answerWords(batch);
    const texts: string[] = [];
    const ofRow = new Int32Array(batch.count);
    /** Each distinct answer's first word and length. */
    const firsts: number[] = [];
    const lengths: number[] = [];
    const byHash = new Map<number, number[]>();
    let last = -1;
    for (let row = 0; row < batch.count; row++) {
      const at = ints[row * INTS + COLUMN.answerAt];
      if (at < 0) {
        ofRow[row] = -1;
        continue;
      }
      const length = ints[row * INTS + COLUMN.answerLength];
      setIdAt(answerBytes, at, 0);
      const first = at >> 2;
      const end = first + ((length + 3) >> 2);
      // The row before's answer again (one client asking the same): no hash needed.
      if (
        last >= 0 && lengths[last] === length &&
        sameWords(words, firsts[last], words, first, end - first)
      ) {
        ofRow[row] = last;
        continue;
      }
      const hash = hashOf(words, first, end, length);
      let same = byHash.get(hash);
      if (same === undefined) byHash.set(hash, same = []);
      let found = -1;
      for (const known of same) {
        if (
          lengths[known] === length && sameWords(words, firsts[known], words, first, end - first)
        ) {
          found = known;
          break;
        }
      }
      if (found < 0) {
        found = texts.push(this.#textOf(answerBytes.subarray(at, at + length))) - 1;
        firsts.push(first);
        lengths.push(length);
        same.push(found);
      }
      ofRow[row] = last = found;
    }
    return { texts, ofRow };
  }

  /** The text of an answer (ID 0), from those decoded lately when its TTLs aside it is one. */
  #textOf(answer: Uint8Array): string {
    const length = answer.length;
    if (length > LONGEST) return this.#decode(answer);
    const count = (length + 3) >> 2;
    const scratch = this.#scratch;
    scratch[count - 1] = 0; // the padding of the last word
    this.#scratchBytes.set(answer);
    const bytes = this.#scratchBytes.subarray(0, length);
    try {
      for (const at of scanRecords(bytes).ttlOffsets) setTtlAt(bytes, at, 0);
    } catch {
      return this.#decode(answer); // not a message it can walk: the text says so
    }
    const hash = hashOf(scratch, 0, count, length);
    let same = this.#decoded.get(hash);
    if (same !== undefined) {
      for (const known of same) {
        if (known.length === length && sameWords(known.words, 0, scratch, 0, count)) {
          return known.text;
        }
      }
    }
    const text = this.#decode(answer);
    const words = scratch.slice(0, count);
    const held = words.byteLength + text.length * 2;
    if (this.#kept >= ANSWERS_KEPT || this.#keptBytes + held > ANSWERS_KEPT_BYTES) {
      this.#decoded.clear();
      this.#kept = this.#keptBytes = 0;
      same = undefined;
    }
    // One answer larger than the whole bound is not kept at all.
    if (held > ANSWERS_KEPT_BYTES) return text;
    if (same === undefined) this.#decoded.set(hash, same = []);
    same.push({ words, length, text });
    this.#kept++;
    this.#keptBytes += held;
    return text;
  }
}

/** FNV-1a over words `from` to `end`, seeded with the answer's length. */
function hashOf(words: Int32Array, from: number, end: number, length: number): number {
  let hash = length;
  for (let word = from; word < end; word++) hash = Math.imul(hash ^ words[word], 0x01000193);
  return hash;
}

function sameWords(a: Int32Array, from: number, b: Int32Array, at: number, count: number): boolean {
  for (let i = 0; i < count; i++) if (a[from + i] !== b[at + i]) return false;
  return true;
}
