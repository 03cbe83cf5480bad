/**
 * The query log: one structured record per query. Written as JSON lines to stdout when
 * enabled; always kept in a bounded ring so recent queries can be shown without unbounded
 * memory.
 */
import { typeName } from "../dns/mod.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { createLineWriter, type LineWriter } from "./line_writer.ts";

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
}

export function createQueryLog(options: QueryLogOptions): QueryLog {
  const ring: QueryLogEntry[] = [];
  let next = 0;
  const print = options.print ?? (options.toStdout ? createLineWriter() : undefined);
  return {
    write(entry) {
      if (options.capacity > 0) {
        if (ring.length < options.capacity) ring.push(entry);
        else ring[next] = entry;
        next = (next + 1) % options.capacity;
      }
      if (options.toStdout) print?.write(formatEntry(entry));
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

/** One JSON line with the type by name and the time in ISO form, for people and log shippers. */
export function formatEntry(entry: QueryLogEntry): string {
  return JSON.stringify({
    ...entry,
    time: new Date(entry.time).toISOString(),
    type: typeName(entry.type),
  });
}
