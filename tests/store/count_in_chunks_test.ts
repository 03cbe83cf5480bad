/**
 * countInChunks(): the one loop both Redis clients send SADD and SREM through. No round trip
 * carries more than a chunk, they go one after the other, the counts add up, and a chunk that
 * fails stops the rest.
 */
import assert from "node:assert/strict";
import { countInChunks } from "../../store/redis.ts";

Deno.test("countInChunks sends at most `size` members a round trip, one at a time, and sums the counts", async () => {
  const sent: number[][] = [];
  let inFlight = 0;
  const counted = await countInChunks([1, 2, 3, 4, 5, 6, 7], 3, async (chunk) => {
    inFlight++;
    assert.equal(inFlight, 1, "one round trip at a time");
    sent.push(chunk);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    return chunk.length - 1;
  });
  assert.deepEqual(sent, [[1, 2, 3], [4, 5, 6], [7]]);
  assert.equal(counted, 2 + 2 + 0);
});

Deno.test("countInChunks sends nothing for no members", async () => {
  let calls = 0;
  assert.equal(await countInChunks([], 1000, () => Promise.resolve(++calls)), 0);
  assert.equal(calls, 0);
});

Deno.test("countInChunks stops at the first chunk that fails: the rest is never sent", async () => {
  const sent: string[][] = [];
  await assert.rejects(
    countInChunks(["a", "b", "c", "d", "e"], 2, (chunk) => {
      sent.push(chunk);
      return sent.length === 2
        ? Promise.reject(new Error("redis SADD timed out"))
        : Promise.resolve(2);
    }),
    /redis SADD timed out/,
  );
  assert.deepEqual(sent, [["a", "b"], ["c", "d"]]);
});
