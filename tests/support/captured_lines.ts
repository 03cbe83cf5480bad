/** A query log printer for tests: every line, as text, the moment it is written. */
import type { LineWriter } from "../../observe/line_writer.ts";

export function capturedLines(lines: string[]): LineWriter {
  const scratch = new Uint8Array(1 << 16);
  const decoder = new TextDecoder();
  return {
    write: (line) => void lines.push(line),
    writeBytes(_maxBytes, fill, item) {
      lines.push(decoder.decode(scratch.subarray(0, fill(item, scratch, 0))));
    },
    flush() {},
    settled: () => Promise.resolve(),
  };
}
