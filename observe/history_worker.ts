/**
 * The thread that owns the history's SQLite file (observe/sqlite_history.ts starts it): it
 * opens the file, stores batches, answers searches and statistics, and enforces retention, so
 * no query waits on the disk. A file that is not a database is moved aside and made anew; a
 * directory that cannot be written turns history off, said in one line.
 */
import { answerText } from "./recent_queries.ts";
import { setIdAt } from "../dns/mod.ts";
import { answerWords, COLUMN, type HistoryBatch, INTS, unpackBatch } from "./history_batch.ts";
import { type BatchAnswers, HistoryDb, type HistoryDbOptions } from "./history_db.ts";
import type { HistoryRequest, HistoryResponse } from "./history_messages.ts";

const port = self as unknown as {
  postMessage(message: HistoryResponse): void;
  onmessage: ((event: MessageEvent<HistoryRequest>) => void) | null;
};

/** How long one retention pass may keep deleting before the next batch is written. */
const PRUNE_BUDGET_MS = 50;

let db: HistoryDb | undefined;

port.onmessage = ({ data }) => {
  switch (data.kind) {
    case "open":
      port.postMessage({ kind: "opened", ...open(data.dir, data.file, data.options) });
      break;
    case "write": {
      if (db === undefined) break;
      const batch = unpackBatch(data.batch);
      try {
        db.insertBatch(batch, answerTexts(batch));
        port.postMessage({ kind: "written", count: batch.count });
      } catch (error) {
        port.postMessage({ kind: "written", count: batch.count, error: String(error) });
      }
      break;
    }
    case "prune": {
      if (db === undefined) break;
      const start = performance.now();
      try {
        while (db.prune(data.now) > 0 && performance.now() - start < PRUNE_BUDGET_MS) {
          // Another batch, while there is time.
        }
      } catch (error) {
        port.postMessage({ kind: "written", count: 0, error: String(error) });
      }
      break;
    }
    case "search":
    case "stats": {
      try {
        if (db === undefined) throw new Error("history is off");
        const value = data.kind === "search"
          ? db.search(data.search, data.now)
          : db.stats(data.range, data.now, data.client);
        port.postMessage({ kind: "reply", id: data.id, value });
      } catch (error) {
        port.postMessage({ kind: "reply", id: data.id, error: String(error) });
      }
      break;
    }
    case "close":
      // The aggregates held in memory are written first; closed is said even if they cannot be.
      try {
        db?.close();
      } catch (error) {
        port.postMessage({ kind: "written", count: 0, error: String(error) });
      }
      db = undefined;
      port.postMessage({ kind: "closed" });
  }
};

function open(
  dir: string,
  file: string,
  options: HistoryDbOptions,
): { ok: boolean; line: string } {
  const path = `${dir}/${file}`;
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (error) {
    return { ok: false, line: `history: off: cannot make ${dir}: ${brief(error)}` };
  }
  try {
    db = new HistoryDb(path, options);
    return { ok: true, line: `history: ${path}` };
  } catch (error) {
    if (!notADatabase(error)) {
      return { ok: false, line: `history: off: cannot open ${path}: ${brief(error)}` };
    }
    const aside = `${path}.bad-${Date.now()}`;
    try {
      Deno.renameSync(path, aside);
      for (const suffix of ["-wal", "-shm"]) Deno.removeSync(path + suffix, { recursive: true });
    } catch (moveError) {
      if (!(moveError instanceof Deno.errors.NotFound)) {
        return { ok: false, line: `history: off: ${path} is damaged and ${brief(moveError)}` };
      }
    }
    try {
      db = new HistoryDb(path, options);
      return {
        ok: true,
        line: `history: ${path} was damaged (${brief(error)}): moved to ${aside}, made anew`,
      };
    } catch (again) {
      return { ok: false, line: `history: off: cannot open ${path}: ${brief(again)}` };
    }
  }
}

/**
 * The answers of a batch in brief, each distinct answer decoded once: cached answers repeat
 * byte for byte but for the ID, which the text does not show (a UDP client picks its own), so
 * it is set to 0 first. Answers are told apart by a hash of their words, then compared.
 */
function answerTexts(batch: HistoryBatch): BatchAnswers {
  const { ints, answerBytes } = batch;
  const words = answerWords(batch);
  const texts: string[] = [];
  const ofRow = new Int32Array(batch.count);
  /** Each distinct answer's first word and length. */
  const firsts: number[] = [];
  const lengths: number[] = [];
  const byHash = new Map<number, number[]>();
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
    let hash = length;
    for (let word = first; word < end; word++) hash = Math.imul(hash ^ words[word], 0x01000193);
    let same = byHash.get(hash);
    if (same === undefined) byHash.set(hash, same = []);
    let found = -1;
    for (const known of same) {
      if (lengths[known] === length && sameWords(words, firsts[known], first, end - first)) {
        found = known;
        break;
      }
    }
    if (found < 0) {
      found = texts.push(answerText(answerBytes.subarray(at, at + length))) - 1;
      firsts.push(first);
      lengths.push(length);
      same.push(found);
    }
    ofRow[row] = found;
  }
  return { texts, ofRow };
}

function sameWords(words: Int32Array, a: number, b: number, count: number): boolean {
  for (let i = 0; i < count; i++) if (words[a + i] !== words[b + i]) return false;
  return true;
}

function notADatabase(error: unknown): boolean {
  return /not a database|malformed|corrupt/i.test(String(error));
}

function brief(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
