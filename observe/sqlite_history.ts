/**
 * The history in SQLite, as the answering thread sees it: a worker (history_worker.ts) owns
 * the file; batches are posted to it, searches and statistics asked of it, each answered
 * within `timeoutMs`. Until the file is open, and for good if it cannot be (a read-only file
 * system, no permission, a damaged file that cannot be replaced), `fallback` serves and is
 * given the batches instead.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import type { History, HistoryPage, HistorySearch, HistoryStats, StatsRange } from "./history.ts";
import {
  answerAt,
  BatchPacker,
  entryAt,
  packBatch,
  type PackedBatch,
  unpackBatch,
} from "./history_batch.ts";
import type { HistorySink } from "./history_batcher.ts";
import type { HistoryWriter } from "./history_db.ts";
import type { HistoryRequest, HistoryResponse } from "./history_messages.ts";

export interface SqliteHistoryOptions {
  /** The data directory (DATA_DIR); the file is `history.db` in it. */
  dir: string;
  retentionMs: number;
  statsRetentionMs: number;
  /** This process's place among several writing the file (WORKERS); one writer by default. */
  writer?: HistoryWriter;
  /** Serves, and is written to, while SQLite is not open. */
  fallback: History & HistorySink;
  /** Told the one line saying where history is kept, or why it is off. */
  report: (line: string) => void;
  /** Longest wait for the worker's answer to a search or statistics. */
  timeoutMs?: number;
  /** How often retention runs. */
  pruneEveryMs?: number;
  now?: () => number;
  /** The worker's module (tests: one that fails on cue); history_worker.ts by default. */
  workerUrl?: URL;
}

export const HISTORY_FILE = "history.db";

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

export class SqliteHistory implements History, HistorySink {
  /** Batches the worker could not store (counted with the dropped). */
  failed = 0;
  #worker: Worker;
  #options: SqliteHistoryOptions;
  #now: () => number;
  #state: "opening" | "open" | "off" = "opening";
  #opened: Promise<void>;
  #pending = 0;
  #requests = new Map<number, Pending>();
  #nextId = 0;
  #pruneTimer?: ReturnType<typeof setInterval>;
  #closed?: () => void;
  /** When a failure to store was last said: at most one line a minute. */
  #failureSaidAt = -Infinity;

  constructor(options: SqliteHistoryOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#worker = new Worker(
      options.workerUrl ?? new URL("./history_worker.ts", import.meta.url),
      { type: "module" },
    );
    let opened!: () => void;
    this.#opened = new Promise((resolve) => opened = resolve);
    this.#worker.onmessage = ({ data }: MessageEvent<HistoryResponse>) => {
      switch (data.kind) {
        case "opened":
          this.#state = data.ok ? "open" : "off";
          options.report(data.line);
          if (data.ok) this.#startPruning();
          else {
            this.#worker.terminate();
            // The batches given while it opened are not waited for (the batcher keeps room
            // for them): the store that serves instead had them from the batcher, or needs none.
            this.#pending = 0;
          }
          opened();
          break;
        case "written":
          this.#pending = Math.max(0, this.#pending - data.count);
          if (data.error !== undefined) {
            this.failed += data.count;
            this.#reportFailure(data.count, data.error);
          }
          break;
        case "reply": {
          const request = this.#requests.get(data.id);
          if (request === undefined) break;
          this.#requests.delete(data.id);
          clearTimeout(request.timer);
          if (data.error !== undefined) request.reject(new Error(`history: ${data.error}`));
          else request.resolve(data.value);
          break;
        }
        case "closed":
          this.#closed?.();
      }
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      if (this.#state !== "off") {
        options.report(`history: off: the worker failed: ${event.message}`);
      }
      this.#state = "off";
      this.#worker.terminate();
      // What it was given and had not stored is lost: counted so, and no longer waited for
      // (the batcher keeps room for what a store has pending), and no question waits on it.
      this.failed += this.#pending;
      this.#pending = 0;
      clearInterval(this.#pruneTimer);
      for (const [id, request] of this.#requests) {
        clearTimeout(request.timer);
        request.reject(new Error("history: the database's worker failed"));
        this.#requests.delete(id);
      }
      this.#closed?.();
      opened();
    };
    this.#post({
      kind: "open",
      dir: options.dir,
      file: HISTORY_FILE,
      options: {
        retentionMs: options.retentionMs,
        statsRetentionMs: options.statsRetentionMs,
        writer: options.writer,
      },
    });
  }

  /** Resolves once the file is open or history fell back (tests, the benchmark). */
  ready(): Promise<boolean> {
    return this.#opened.then(() => this.#state === "open");
  }

  write(entries: QueryLogEntry[], answers: (Uint8Array | undefined)[]): void {
    if (this.#state === "off") return this.#options.fallback.write(entries, answers);
    this.writePacked(packBatch(entries, answers));
  }

  newPacker(): BatchPacker {
    return new BatchPacker();
  }

  writePacked(batch: PackedBatch): void {
    if (this.#state === "off") {
      // The fallback keeps entries: the rows as they were logged.
      const rows = unpackBatch(batch);
      const entries: QueryLogEntry[] = [];
      const answers: (Uint8Array | undefined)[] = [];
      for (let row = 0; row < rows.count; row++) {
        entries.push(entryAt(rows, row));
        answers.push(answerAt(rows, row));
      }
      return this.#options.fallback.write(entries, answers);
    }
    this.#pending += batch.count;
    this.#worker.postMessage({ kind: "write", batch }, [batch.buffer]);
  }

  pending(): number {
    return this.#pending;
  }

  async search(search: HistorySearch): Promise<HistoryPage> {
    await this.#opened;
    if (this.#state !== "open") return this.#options.fallback.search(search);
    return await this.#ask({ kind: "search", id: 0, search, now: this.#now() }) as HistoryPage;
  }

  async stats(range: StatsRange, client?: string): Promise<HistoryStats> {
    await this.#opened;
    if (this.#state !== "open") return this.#options.fallback.stats(range, client);
    return await this.#ask({
      kind: "stats",
      id: 0,
      range,
      client,
      now: this.#now(),
    }) as HistoryStats;
  }

  /** Runs retention now (tests); it also runs every `pruneEveryMs`. */
  prune(): void {
    if (this.#state === "open") this.#post({ kind: "prune", now: this.#now() });
  }

  /** Waits until what was written is stored, then closes the file and ends the worker. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    await this.#opened;
    if (this.#state !== "open") return;
    this.#state = "off";
    const closed = new Promise<void>((resolve) => this.#closed = resolve);
    this.#post({ kind: "close" });
    const timer = setTimeout(() => this.#closed?.(), this.#options.timeoutMs ?? 5000);
    await closed;
    clearTimeout(timer);
    this.#worker.terminate();
  }

  /**
   * Says why the file failed a batch (a full disk, a file changed under it) or retention, at
   * most once a minute: the dropped count alone tells an operator nothing of why.
   */
  #reportFailure(count: number, error: string): void {
    const now = performance.now();
    if (now - this.#failureSaidAt < 60_000) return;
    this.#failureSaidAt = now;
    const what = count > 0 ? `${count} queries not stored` : "retention failed";
    this.#options.report(`history: ${what}: ${error.split("\n")[0]}`);
  }

  #startPruning(): void {
    this.#pruneTimer = setInterval(() => this.prune(), this.#options.pruneEveryMs ?? 1000);
    Deno.unrefTimer(this.#pruneTimer);
  }

  #ask(request: Extract<HistoryRequest, { id: number }>): Promise<unknown> {
    const id = ++this.#nextId;
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        reject(new Error(`history: no answer from the database within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#requests.set(id, { resolve, reject, timer });
      request.id = id;
      this.#post(request);
    });
  }

  #post(message: HistoryRequest): void {
    this.#worker.postMessage(message);
  }
}
