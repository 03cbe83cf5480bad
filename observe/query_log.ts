/**
 * The query log: one structured record per query. Written as JSON lines to stdout when
 * enabled; always kept in a bounded ring so recent queries can be shown without unbounded
 * memory.
 */
import { typeName } from "../dns/mod.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { isoTime } from "./iso_time.ts";
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
 * the shared stream's and the admin API's form. Lines to stdout are the same text, written
 * as bytes by log_line_bytes.ts. Built by hand in a fixed key order: spreading the entry into
 * a new object for JSON.stringify showed in the profile.
 */
export function formatEntry(entry: QueryLogEntry): string {
  let line = `{"time":"${isoTime(entry.time)}","client":${
    JSON.stringify(entry.client)
  },"door":"${entry.door}",${
    entry.method === undefined ? "" : `"method":"${entry.method}",`
  }"name":${JSON.stringify(entry.name)},"type":"${typeName(entry.type)}"`;
  if (entry.source !== undefined) line += `,"source":"${entry.source}"`;
  if (entry.rule !== undefined) line += `,"rule":${JSON.stringify(entry.rule)}`;
  if (entry.upstream !== undefined) line += `,"upstream":${JSON.stringify(entry.upstream)}`;
  if (entry.rcode !== undefined) line += `,"rcode":${entry.rcode}`;
  if (entry.durationMs !== undefined) line += `,"durationMs":${entry.durationMs}`;
  if (entry.error !== undefined) line += `,"error":${JSON.stringify(entry.error)}`;
  return line + "}";
}
