/**
 * Lines to stdout without a blocking write per line: the query log under load wrote one
 * synchronous print per query, which the profile showed as the largest cost of a cached
 * answer. Lines are gathered and written in batches; the buffer is bounded (a stalled stdout
 * drops lines and says how many, rather than growing without end), and `flush()` writes what
 * is left synchronously at shutdown.
 *
 * A batch goes out when `flushAtChars` are buffered or `flushAfterMs` after its first line.
 * Writing once per event-loop turn instead (a 0 ms timer) still cost ~3 µs per cached answer
 * under load: each async write to stdout is a hop to a blocking thread and back, and a turn
 * holds only a few queries.
 *
 * With several worker processes on one stdout, writes are cut at line ends to at most
 * `maxWriteBytes` (PIPE_BUF, 4096, is what a pipe writes whole), so the workers' lines never
 * cut into each other.
 */
import { type LightTimeout, lightTimeout } from "../pipeline/light_timer.ts";

export interface LineWriter {
  write(line: string): void;
  /** Writes everything buffered now (at shutdown). */
  flush(): void;
}

export interface LineSink {
  write(bytes: Uint8Array): Promise<number>;
  writeSync(bytes: Uint8Array): number;
}

/** The largest write a pipe makes whole, never mixed with another process's (POSIX). */
export const PIPE_BUF = 4096;

export interface LineWriterOptions {
  /** Lines beyond this many buffered characters are dropped (and counted). */
  maxBufferedChars?: number;
  /** Longest a line waits to be written, milliseconds. */
  flushAfterMs?: number;
  /** Buffered characters that start a write at once. */
  flushAtChars?: number;
  /** Largest single write, cut at line ends (PIPE_BUF when workers share stdout). */
  maxWriteBytes?: number;
}

export function createLineWriter(
  sink: LineSink = Deno.stdout,
  options: LineWriterOptions = {},
): LineWriter {
  const maxBufferedChars = options.maxBufferedChars ?? 1 << 20;
  const flushAfterMs = options.flushAfterMs ?? 50;
  const flushAtChars = Math.min(options.flushAtChars ?? 32 * 1024, maxBufferedChars / 2);
  const maxWriteBytes = options.maxWriteBytes ?? Infinity;
  const encoder = new TextEncoder();
  let lines: string[] = [];
  let buffered = 0;
  let dropped = 0;
  // Set on a process's first query: not Node's setTimeout (see light_timer.ts).
  let timer: LightTimeout | undefined;
  let writing = false;

  const take = (): Uint8Array | undefined => {
    if (dropped > 0) {
      lines.push(JSON.stringify({ warning: `${dropped} log lines dropped: stdout too slow` }));
      dropped = 0;
    }
    if (lines.length === 0) return undefined;
    const text = lines.join("\n") + "\n";
    lines = [];
    buffered = 0;
    return encoder.encode(text);
  };

  const drain = async () => {
    timer?.cancel();
    timer = undefined;
    if (writing) return;
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
      } while (buffered >= flushAtChars);
    } catch {
      // stdout closed: nothing sensible left to do with log lines
    } finally {
      writing = false;
      if ((lines.length > 0 || dropped > 0) && timer === undefined) {
        timer = lightTimeout(flushAfterMs, () => void drain());
      }
    }
  };

  return {
    write(line) {
      if (buffered + line.length > maxBufferedChars) {
        dropped++;
        return;
      }
      lines.push(line);
      buffered += line.length + 1;
      if (buffered >= flushAtChars) {
        if (!writing) void drain();
      } else if (timer === undefined && !writing) {
        timer = lightTimeout(flushAfterMs, () => void drain());
      }
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
    },
  };
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
