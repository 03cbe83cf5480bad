import assert from "node:assert/strict";
import { frame, FrameReader } from "../../net/framing.ts";

/** A source that hands out `chunks` one read at a time, then EOF. */
const source = (...chunks: number[][]) => ({
  read(buffer: Uint8Array): Promise<number | null> {
    const chunk = chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    buffer.set(chunk);
    return Promise.resolve(chunk.length);
  },
});

Deno.test("FrameReader joins a length prefix split between two reads with its message", async () => {
  const reader = new FrameReader(source([0], [3, 0xa], [0xb, 0xc, 0, 1], [0xd]));
  assert.deepEqual([...(await reader.next())!], [0xa, 0xb, 0xc]);
  assert.deepEqual([...(await reader.next())!], [0xd]);
  assert.equal(await reader.next(), null);
});

Deno.test("FrameReader returns null when the peer closes in the middle of a frame", async () => {
  const reader = new FrameReader(source([0, 5, 1, 2]));
  assert.equal(await reader.next(), null);
});

Deno.test("frame() prefixes the length and refuses a message over 65535 bytes", () => {
  assert.deepEqual([...frame(new Uint8Array(258).fill(7))].slice(0, 3), [1, 2, 7]);
  assert.throws(() => frame(new Uint8Array(65536)), RangeError);
});
