/**
 * Lines to stdout without a blocking write per line: the query log under load wrote one
 * synchronous print per query, which the profile showed as the largest cost of a cached
 * answer. Lines are gathered and written in batches; the buffer is bounded (a stalled stdout
 * drops lines and says how many, rather than growing without end), and `flush()` writes what
 * is left synchronously at shutdown.
 *
 * Lines are bytes in a batch buffer from the start (`writeBytes`: the query log writes its
 * lines there itself), and the buffer of a written batch takes the next one's lines.
 *
 * A batch goes out when `flushAtBytes` (128 KiB) are buffered or `flushAfterMs` after its first
 * line. Each async write to stdout is a hop to a blocking thread and back, so writes are few
 * and large: one per event-loop turn was too many for cached answers under load, and 128 KiB
 * batches cost less CPU than 32 KiB ones (`deno task bench:all`, cached HTTP/1.1 TLS rows:
 * server CPU per query, the query log on as by default).
 *
 * With several worker processes on one stdout, writes are cut at line ends to at most
 * `maxWriteBytes` (PIPE_BUF, 4096, is what a pipe writes whole), so the workers' lines never
 * cut into each other.
 */
import { type LightTimeout, lightTimeout } from "../runtime/light_timer.ts";

export interface LineWriter {
  /** Queues one line (the newline is added). */
  write(line: string): void;
  /**
   * Queues one line that `fill` writes from `item` straight into the batch, from `at`, with
   * room for `maxBytes`; it returns where the line ends (the newline is added). For lines made
   * once per query (log_line_bytes.ts): no string to build and encode, and no closure to make.
   */
  writeBytes<T>(
    maxBytes: number,
    fill: (item: T, batch: Uint8Array, at: number) => number,
    item: T,
  ): void;
  /** Writes everything buffered now (at shutdown, after `settled`). */
  flush(): void;
  /**
   * Resolves once no batch is being written: a process that exits right after `flush` with a
   * write still under way would lose that batch (or write it after later lines).
   */
  settled(): Promise<void>;
}

export interface LineSink {
  write(bytes: Uint8Array): Promise<number>;
  writeSync(bytes: Uint8Array): number;
}

/** The largest write a pipe makes whole, never mixed with another process's (POSIX). */
export const PIPE_BUF = 4096;

export interface LineWriterOptions {
  /** Lines beyond this many buffered bytes are dropped (and counted). */
  maxBufferedBytes?: number;
  /** Longest a line waits to be written, milliseconds. */
  flushAfterMs?: number;
  /** Buffered bytes that start a write at once. */
  flushAtBytes?: number;
  /** Largest single write, cut at line ends (PIPE_BUF when workers share stdout). */
  maxWriteBytes?: number;
}

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

export function createLineWriter(
  sink: LineSink = Deno.stdout,
  options: LineWriterOptions = {},
): LineWriter {
  const maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
  const flushAfterMs = options.flushAfterMs ?? 50;
  const flushAtBytes = Math.min(options.flushAtBytes ?? 128 * 1024, maxBufferedBytes / 2);
  const maxWriteBytes = options.maxWriteBytes ?? Infinity;
  // Lines go into `batch`; the buffer of a batch that was written becomes `spare`, the next
  // batch's, so a steady stream of lines reuses two buffers.
  let batch = new Uint8Array(Math.min(2 * flushAtBytes, maxBufferedBytes));
  let spare: Uint8Array<ArrayBuffer> | undefined;
  let used = 0;
  let dropped = 0;
  // Set on a process's first query: not Node's setTimeout (see light_timer.ts).
  let timer: LightTimeout | undefined;
  let writing = false;
  /** The drain under way, for `settled`. */
  let draining: Promise<void> | undefined;

  /** Appends a line of at most `maxBytes`; past `limit` buffered bytes it is not taken. */
  const append = <T>(
    maxBytes: number,
    fill: (item: T, batch: Uint8Array, at: number) => number,
    item: T,
    limit = maxBufferedBytes,
  ): boolean => {
    const needed = used + maxBytes + 1;
    if (needed > limit) return false;
    if (needed > batch.length) {
      const grown = new Uint8Array(Math.max(needed, Math.min(2 * batch.length, maxBufferedBytes)));
      grown.set(batch.subarray(0, used));
      batch = grown;
    }
    used = fill(item, batch, used);
    batch[used++] = NEWLINE;
    return true;
  };

  /** The batch's bytes, handed over to be written; the next lines go into another buffer. */
  const take = (): Uint8Array<ArrayBuffer> | undefined => {
    if (dropped > 0) {
      // One short line, let past the bound.
      const warning = JSON.stringify({ warning: `${dropped} log lines dropped: stdout too slow` });
      append(warning.length, encodeLine, warning, Infinity);
      dropped = 0;
    }
    if (used === 0) return undefined;
    const bytes = batch.subarray(0, used);
    batch = spare ?? new Uint8Array(batch.length);
    spare = undefined;
    used = 0;
    return bytes;
  };

  /** A written batch's buffer, back for reuse. */
  const done = (bytes: Uint8Array<ArrayBuffer>) => {
    spare ??= new Uint8Array(bytes.buffer);
  };

  const drain = () => {
    if (writing) return draining;
    draining = write().finally(() => (draining = undefined));
    return draining;
  };

  const write = async () => {
    timer?.cancel();
    timer = undefined;
    writing = true;
    try {
      // Lines that arrive during a write wait for the next batch unless a full one is ready.
      do {
        const bytes = take();
        if (bytes === undefined) break;
        for (const chunk of lineChunks(bytes, maxWriteBytes)) {
          let offset = 0;
          while (offset < chunk.length) offset += await sink.write(chunk.subarray(offset));
        }
        done(bytes);
      } while (used >= flushAtBytes);
    } catch {
      // stdout closed: nothing sensible left to do with log lines
    } finally {
      writing = false;
      if ((used > 0 || dropped > 0) && timer === undefined) {
        timer = lightTimeout(flushAfterMs, () => void drain());
      }
    }
  };

  const queued = () => {
    if (used >= flushAtBytes) {
      if (!writing) void drain();
    } else if (timer === undefined && !writing) {
      timer = lightTimeout(flushAfterMs, () => void drain());
    }
  };

  return {
    write(line) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit.
      if (append(line.length * 3, encodeLine, line)) queued();
      else dropped++;
    },
    writeBytes(maxBytes, fill, item) {
      if (append(maxBytes, fill, item)) queued();
      else dropped++;
    },
    async settled() {
      while (draining !== undefined) await draining;
    },
    flush() {
      timer?.cancel();
      timer = undefined;
      const bytes = take();
      if (bytes === undefined) return;
      for (const chunk of lineChunks(bytes, maxWriteBytes)) {
        let offset = 0;
        while (offset < chunk.length) offset += sink.writeSync(chunk.subarray(offset));
      }
      done(bytes);
    },
  };
}

/** Writes the UTF-8 of `line` into `batch` from `at`; returns where it ends. */
function encodeLine(line: string, batch: Uint8Array, at: number): number {
  return at + encoder.encodeInto(line, batch.subarray(at)).written;
}

/** `bytes` (whole lines) in pieces of whole lines of at most `max` bytes (a longer line alone). */
function* lineChunks(bytes: Uint8Array, max: number): Generator<Uint8Array> {
  let start = 0;
  while (bytes.length - start > max) {
    let end = bytes.lastIndexOf(10, start + max - 1) + 1;
    if (end <= start) end = bytes.indexOf(10, start) + 1;
    yield bytes.subarray(start, end);
    start = end;
  }
  if (start < bytes.length) yield bytes.subarray(start);
}
