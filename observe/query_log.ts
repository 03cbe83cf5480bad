/**
 * The query log: one structured record per query. Written as JSON lines to stdout when
 * enabled; always kept in a bounded ring so recent queries can be shown without unbounded
 * memory.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import { createLineWriter, type LineWriter } from "./line_writer.ts";
import { encodeEntry, entryLineBound } from "./log_line_bytes.ts";

export interface QueryLog {
  write(entry: QueryLogEntry): void;
  /** Writes out lines still buffered (at shutdown). */
  flush(): void;
  /** The most recent entries, newest last. */
  recent(): QueryLogEntry[];
}

export interface QueryLogOptions {
  /** Print each entry as a JSON line. */
  toStdout: boolean;
  /** How many entries the in-memory ring keeps. */
  capacity: number;
  /** Where lines go; batched writes to stdout by default, injectable for tests. */
  print?: LineWriter;
  /** Also told about every entry (metrics, statistics, the shared stream). */
  observers?: ((entry: QueryLogEntry) => void)[];
  /** What the log keeps of the client's address (LOG_CLIENT); as it is by default. */
  client?: (address: string) => string;
}

export function createQueryLog(options: QueryLogOptions): QueryLog {
  const ring: QueryLogEntry[] = [];
  let next = 0;
  const print = options.print ?? (options.toStdout ? createLineWriter() : undefined);
  const observers = options.observers ?? [];
  return {
    write(entry) {
      if (options.client) entry.client = options.client(entry.client);
      for (const observe of observers) observe(entry);
      if (options.capacity > 0) {
        if (ring.length < options.capacity) ring.push(entry);
        else ring[next] = entry;
        next = (next + 1) % options.capacity;
      }
      if (options.toStdout) {
        print?.writeBytes(entryLineBound(entry), (batch, at) => encodeEntry(entry, batch, at));
      }
    },
    flush() {
      print?.flush();
    },
    recent() {
      if (ring.length < options.capacity) return [...ring];
      return [...ring.slice(next), ...ring.slice(0, next)];
    },
  };
}

/**
 * One JSON line with the type by name and the time in ISO form, for people and log shippers:
 * the shared stream's and the admin API's form, the same text as the lines to stdout
 * (log_line_bytes.ts writes both), decoded.
 */
export function formatEntry(entry: QueryLogEntry): string {
  const bound = entryLineBound(entry);
  if (scratch.length < bound) scratch = new Uint8Array(bound);
  return decoder.decode(scratch.subarray(0, encodeEntry(entry, scratch, 0)));
}

const decoder = new TextDecoder();
let scratch = new Uint8Array(1024);
