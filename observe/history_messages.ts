/** What the answering thread and the history worker say to each other (history_worker.ts). */
import type { PackedBatch } from "./history_batch.ts";
import type { HistoryDbOptions } from "./history_db.ts";
import type { HistoryPage, HistorySearch, HistoryStats, StatsRange } from "./history.ts";

export type HistoryRequest =
  | {
    kind: "open";
    dir: string;
    file: string;
    options: HistoryDbOptions;
  }
  /** A batch: entries and the answers they were logged with, its buffer transferred. */
  | { kind: "write"; batch: PackedBatch }
  | { kind: "prune"; now: number }
  | { kind: "search"; id: number; search: HistorySearch; now: number }
  | { kind: "stats"; id: number; range: StatsRange; client?: string; now: number }
  | { kind: "close" };

export type HistoryResponse =
  | { kind: "opened"; ok: boolean; line: string }
  /** A batch was stored (or not: `error`); the sender may send that many more. */
  | { kind: "written"; count: number; error?: string }
  | { kind: "reply"; id: number; value?: HistoryPage | HistoryStats; error?: string }
  | { kind: "closed" };
