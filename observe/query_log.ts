/**
 * The query log: one structured record per query. Written as JSON lines to stdout when
 * enabled; always kept in a bounded ring so recent queries can be shown without unbounded
 * memory. The answers of the newest few are kept too, copied into a fixed arena (no
 * allocation per query), so the dashboard can show what a name resolved to.
 *
 * What it keeps of the client is the profile's `log` (the entry's `logMode`), else LOG_CLIENT:
 * the address, a pseudonym (the display name stays: it names a device, not an address), or no
 * client at all. A profile whose `log` is "off" leaves no line, nothing in the ring or the
 * stream; its queries are still counted by the observers, which then see no client.
 */
import type { QueryLogEntry } from "../pipeline/types.ts";
import { type ClientPrivacy, Pseudonyms } from "./client_privacy.ts";
import { createLineWriter, type LineWriter } from "./line_writer.ts";
import type { QueryLogStream } from "./log_stream.ts";
import { encodeEntry, entryLineBound } from "./log_line_bytes.ts";

export interface QueryLog {
  /** Logs one query; `answer`, the reply's bytes, is kept while the entry is among the newest. */
  write(entry: QueryLogEntry, answer?: Uint8Array): void;
  /** Writes out lines still buffered (at shutdown). */
  flush(): void;
  /** Resolves once no batch of lines is being written (before `flush`, at shutdown). */
  settled(): Promise<void>;
  /** The most recent entries, newest last. */
  recent(): QueryLogEntry[];
  /** A copy of the answer logged with `entry`, while it is among the newest kept. */
  answerOf(entry: QueryLogEntry): Uint8Array | undefined;
}

/** Answers kept, newest first out of the arena; enough for the dashboard's recent table. */
export const ANSWERS_KEPT = 64;
/** Larger answers are not kept (a UDP answer with the common EDNS size fits). */
export const ANSWER_KEPT_BYTES = 1232;

export interface QueryLogOptions {
  /** Print each entry as a JSON line. */
  toStdout: boolean;
  /** How many entries the in-memory ring keeps. */
  capacity: number;
  /** Where lines go; batched writes to stdout by default, injectable for tests. */
  print?: LineWriter;
  /**
   * Also told about every query, logged or not (metrics, statistics, history), with the
   * answer's bytes when the log keeps the client (no profile with `log: off`).
   */
  observers?: ((entry: QueryLogEntry, answer?: Uint8Array) => void)[];
  /** The shared stream (Redis), given every entry the log keeps. */
  stream?: Pick<QueryLogStream, "write">;
  /** What the log keeps of the client (LOG_CLIENT); the address as it is by default. */
  client?: ClientPrivacy;
}

export function createQueryLog(options: QueryLogOptions): QueryLog {
  const ring: QueryLogEntry[] = [];
  let next = 0;
  const print = options.print ?? (options.toStdout ? createLineWriter() : undefined);
  const observers = options.observers ?? [];
  const arena = new Uint8Array(ANSWERS_KEPT * ANSWER_KEPT_BYTES);
  const answerEntries: (QueryLogEntry | undefined)[] = new Array(ANSWERS_KEPT);
  const answerLengths = new Uint16Array(ANSWERS_KEPT);
  let nextAnswer = 0;
  const stream = options.stream;
  const privacy = options.client ?? { mode: "address", pseudonyms: new Pseudonyms() };
  return {
    write(entry, answer) {
      const mode = entry.logMode;
      if (mode === "off") {
        entry.client = "";
        entry.clientName = undefined;
        for (const observe of observers) observe(entry);
        return;
      }
      switch (mode ?? privacy.mode) {
        case "hash":
          entry.client = privacy.pseudonyms.of(entry.client);
          break;
        case "off":
          entry.client = "";
          entry.clientName = undefined;
      }
      if (answer !== undefined && answer.length <= ANSWER_KEPT_BYTES) {
        arena.set(answer, nextAnswer * ANSWER_KEPT_BYTES);
        answerEntries[nextAnswer] = entry;
        answerLengths[nextAnswer] = answer.length;
        nextAnswer = (nextAnswer + 1) % ANSWERS_KEPT;
      }
      for (const observe of observers) observe(entry, answer);
      stream?.write(entry);
      if (options.capacity > 0) {
        if (ring.length < options.capacity) ring.push(entry);
        else ring[next] = entry;
        next = (next + 1) % options.capacity;
      }
      if (options.toStdout) {
        print?.writeBytes(entryLineBound(entry), encodeEntry, entry);
      }
    },
    async settled() {
      await print?.settled();
    },
    flush() {
      print?.flush();
    },
    recent() {
      if (ring.length < options.capacity) return [...ring];
      return [...ring.slice(next), ...ring.slice(0, next)];
    },
    answerOf(entry) {
      const slot = answerEntries.indexOf(entry);
      if (slot < 0) return undefined;
      const start = slot * ANSWER_KEPT_BYTES;
      return arena.slice(start, start + answerLengths[slot]);
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
