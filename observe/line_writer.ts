/**
 * Lines to stdout without a blocking write per line: the query log under load wrote one
 * synchronous print per query, which the profile showed as the largest cost of a cached
 * answer. Lines are gathered and written in one call per event-loop turn; the buffer is bounded
 * (a stalled stdout drops lines and says how many, rather than growing without end), and
 * `flush()` writes what is left synchronously at shutdown. With several worker processes on
 * one stdout, writes are cut at line ends to at most `maxWriteBytes` (PIPE_BUF, 4096, is what a
 * pipe writes whole), so the workers' lines never cut into each other.
 */

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

export function createLineWriter(
  sink: LineSink = Deno.stdout,
  maxBufferedChars = 1 << 20,
  maxWriteBytes = Infinity,
): LineWriter {
  const encoder = new TextEncoder();
  let lines: string[] = [];
  let buffered = 0;
  let dropped = 0;
  let scheduled = false;
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
    scheduled = false;
    if (writing) return;
    writing = true;
    try {
      for (let bytes = take(); bytes; bytes = take()) {
        for (const chunk of lineChunks(bytes, maxWriteBytes)) {
          let offset = 0;
          while (offset < chunk.length) offset += await sink.write(chunk.subarray(offset));
        }
      }
    } catch {
      // stdout closed: nothing sensible left to do with log lines
    } finally {
      writing = false;
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
      if (!scheduled) {
        scheduled = true;
        setTimeout(drain, 0);
      }
    },
    flush() {
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
