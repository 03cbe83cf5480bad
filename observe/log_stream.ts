/**
 * The query log shared through Redis: every instance appends its entries to one capped stream
 * (XADD ... MAXLEN ~), so the admin API and dashboard of any instance can show every
 * instance's queries. Entries are queued and sent in batches off the query path; a Redis that
 * is slow or down only drops entries (counted), it never delays an answer.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import type { RedisStore } from "../store/redis.ts";
import { formatEntry } from "./query_log.ts";

/** A stream entry read back: the instance that wrote it and the entry's JSON fields. */
export interface StreamedEntry {
  instance: string;
  entry: Record<string, unknown>;
}

export interface LogStreamOptions {
  /** The stream's key (with the Redis prefix). */
  key: string;
  /** About how many entries the stream keeps. */
  maxLen: number;
  /** Names this instance in every entry. */
  instance: string;
  flushDelayMs?: number;
  /** Entries queued beyond this are dropped (Redis too slow or down). */
  maxQueued?: number;
  onError?: (error: unknown) => void;
}

export class QueryLogStream {
  #store: Pick<RedisStore, "xaddMany" | "xrevrange">;
  #options: LogStreamOptions;
  #queue: Record<string, string>[] = [];
  #timer?: ReturnType<typeof setTimeout>;
  #flushing?: Promise<void>;
  errors = 0;
  dropped = 0;

  constructor(store: Pick<RedisStore, "xaddMany" | "xrevrange">, options: LogStreamOptions) {
    this.#store = store;
    this.#options = options;
  }

  write(entry: QueryLogEntry): void {
    if (this.#queue.length >= (this.#options.maxQueued ?? 10_000)) {
      this.dropped++;
      return;
    }
    this.#queue.push({ instance: this.#options.instance, entry: formatEntry(entry) });
    this.#timer ??= setTimeout(() => void this.flush(), this.#options.flushDelayMs ?? 100);
  }

  /** Sends what is queued; resolves when Redis has it (or failed). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#flushing = this.#store.xaddMany(this.#options.key, batch, this.#options.maxLen).catch(
      (error) => {
        this.errors++;
        this.dropped += batch.length;
        this.#options.onError?.(error);
      },
    );
    await this.#flushing;
  }

  /** The newest `count` entries of every instance, newest first. */
  async recent(count: number): Promise<StreamedEntry[]> {
    const entries = await this.#store.xrevrange(this.#options.key, count);
    return entries.flatMap(({ fields }) => {
      try {
        return [{ instance: fields.instance ?? "", entry: JSON.parse(fields.entry ?? "") }];
      } catch {
        return [];
      }
    });
  }
}
