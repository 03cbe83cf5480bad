/**
 * The thread that owns the history's SQLite file (observe/sqlite_history.ts starts it): it
 * opens the file, stores batches, answers searches and statistics, and enforces retention, so
 * no query waits on the disk. A file that is not a database is moved aside and made anew; a
 * directory that cannot be written turns history off, said in one line.
 */
import { AnswerTexts } from "./answer_texts.ts";
import { unpackBatch } from "./history_batch.ts";
import { ConversionError, HistoryDb, type HistoryDbOptions } from "./history_db.ts";
import type { HistoryRequest, HistoryResponse } from "./history_messages.ts";

const port = self as unknown as {
  postMessage(message: HistoryResponse): void;
  onmessage: ((event: MessageEvent<HistoryRequest>) => void) | null;
};

/** How long one retention pass may keep deleting before the next batch is written. */
const PRUNE_BUDGET_MS = 50;

let db: HistoryDb | undefined;
const answers = new AnswerTexts();

port.onmessage = ({ data }) => {
  switch (data.kind) {
    case "open":
      port.postMessage({ kind: "opened", ...open(data.dir, data.file, data.options) });
      break;
    case "write": {
      if (db === undefined) break;
      const batch = unpackBatch(data.batch);
      try {
        db.insertBatch(batch, answers.of(batch));
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
    if (error instanceof ConversionError && !notADatabase(error)) {
      // Most likely the disk filled: the conversion writes a copy of the rows first.
      return {
        ok: false,
        line: `history: off: ${path}: ${error.message}; the file is as it was: with free ` +
          `space the size of the file in ${dir}, restart to convert it again, or move it ` +
          `aside to start anew`,
      };
    }
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

function notADatabase(error: unknown): boolean {
  return /not a database|malformed|corrupt/i.test(String(error));
}

function brief(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
