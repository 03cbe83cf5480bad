import assert from "node:assert/strict";
import { RType, TransientSlab } from "../../dns/mod.ts";
import {
  answerAt,
  answerWords,
  BatchPacker,
  entryAt,
  packBatch,
  unpackBatch,
} from "../../observe/history_batch.ts";
import { Tally, tallyBatch } from "../../observe/history_tally.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 10, 11, 58);

/** Entries with every field a tally reads varied: outcomes, clients, profiles, log modes. */
function stream(count: number): QueryLogEntry[] {
  const entries: QueryLogEntry[] = [];
  for (let i = 0; i < count; i++) {
    const entry: QueryLogEntry = {
      time: START + i * 7919 % (3 * HOUR),
      client: i % 11 === 0 ? "" : `192.0.2.${i % 5}`,
      door: i % 3 === 0 ? "udp" : "doh",
      name: `n${i % 13}.example`,
      type: i % 4 === 0 ? RType.AAAA : RType.A,
    };
    if (entry.door === "doh") entry.method = i % 2 === 0 ? "GET" : "POST";
    if (i % 6 === 0) entry.clientName = i % 12 === 0 ? "Laptop" : "laptop";
    if (i % 23 === 0) entry.clientName = "";
    if (i % 7 === 0) entry.profile = "kids";
    if (i % 17 === 0) entry.logMode = "off";
    if (i % 19 === 0) entry.logMode = "hash";
    const source = (["upstream", "cache", "blocked", "error", "stale", "local"] as const)[i % 6];
    entry.source = source;
    if (i % 29 !== 0) entry.rcode = [0, 3, 2, 5][i % 4];
    if (source === "blocked") entry.rule = `ads: n${i % 13}.example`;
    if (source === "upstream") entry.upstream = `udp://192.0.2.${53 + i % 2}:53`;
    if (i % 5 !== 0) entry.durationMs = (i % 97) * 0.7;
    if (source === "error") entry.error = "every upstream failed";
    entries.push(entry);
  }
  return entries;
}

Deno.test("a packed batch gives back each entry as it was logged, each text sent once", () => {
  const entries = stream(200);
  const batch = unpackBatch(packBatch(entries, []));
  assert.equal(batch.count, 200);
  for (let i = 0; i < entries.length; i++) assert.deepEqual(entryAt(batch, i), entries[i]);
  assert.equal(new Set(batch.texts).size, batch.texts.length);
  assert.ok(batch.texts.length < 60, `${batch.texts.length} texts`);
});

Deno.test("a packed batch carries each answer's own bytes, not the slab it is a view of", () => {
  const slab = new TransientSlab();
  const entries = stream(40);
  const answers = entries.map((_, i) =>
    i % 4 === 3 ? undefined : slab.copy(new Uint8Array(60).fill(i))
  );
  const packed = packBatch(entries, answers);
  assert.equal(answers[0]!.buffer.byteLength, 32 * 1024, "views into one 32 KiB slab");
  assert.ok(packed.buffer.byteLength < 40 * (60 + 100), `${packed.buffer.byteLength} bytes`);
  const batch = unpackBatch(packed);
  for (let i = 0; i < answers.length; i++) assert.deepEqual(answerAt(batch, i), answers[i]);
});

Deno.test("each answer of a batch starts on a word, zero-padded, to be compared a word at a time", () => {
  const entries = stream(3);
  const answers = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6, 7, 8), Uint8Array.of(9)];
  const batch = unpackBatch(packBatch(entries, answers));
  for (let i = 0; i < answers.length; i++) assert.deepEqual(answerAt(batch, i), answers[i]);
  const bytes = new Uint8Array(answerWords(batch).buffer, batch.answerBytes.byteOffset, 16);
  assert.deepEqual([...bytes], [1, 2, 3, 0, 4, 5, 6, 7, 8, 0, 0, 0, 9, 0, 0, 0]);
});

Deno.test("a packer used batch after batch, growing, gives each batch back as its entries were", () => {
  const packer = new BatchPacker();
  // Reused bytes from a batch before hold another answer's: each must be whole and padded.
  const answerOf = (i: number) =>
    i % 5 === 4 ? undefined : new Uint8Array(1 + (i * 37) % 300).fill(1 + i % 250);
  let from = 0;
  for (const size of [1000, 3, 0, 700]) {
    const entries = stream(from + size).slice(from);
    const answers = entries.map((_, i) => answerOf(from + i));
    for (let i = 0; i < size; i++) packer.add(entries[i], answers[i]);
    assert.equal(packer.count, size);
    const batch = unpackBatch(packer.pack());
    assert.equal(packer.count, 0, "a pack starts a new batch");
    assert.equal(batch.count, size);
    const words = answerWords(batch);
    for (let i = 0; i < size; i++) {
      assert.deepEqual(entryAt(batch, i), entries[i]);
      assert.deepEqual(answerAt(batch, i), answers[i]);
      const length = answers[i]?.length ?? 0;
      if (length % 4 !== 0) {
        const last = words[(batch.ints[i * 15 + 13] + length) >> 2];
        assert.equal(last >>> (8 * (length % 4)), 0, `row ${i}: padding zeroed`);
      }
    }
    // The same batch packed in one go, as packBatch does for a list of entries.
    assert.deepEqual(unpackBatch(packBatch(entries, answers)), batch);
    from += size;
  }
});

Deno.test("a packer lets go of the room a batch of big answers took", () => {
  const packer = new BatchPacker();
  const entries = stream(600);
  const big = new Uint8Array(4000).fill(9);
  for (const entry of entries) packer.add(entry, big);
  assert.ok(packer.answerRoom >= 600 * 4000);
  const batch = unpackBatch(packer.pack());
  assert.deepEqual(answerAt(batch, 599), big);
  assert.ok(packer.answerRoom <= 1 << 20, `${packer.answerRoom} bytes held after the pack`);
  packer.add(entries[0], big);
  assert.deepEqual(answerAt(unpackBatch(packer.pack()), 0), big);
});

Deno.test("a batch's tally is the one its entries make one by one", () => {
  const entries = stream(500);
  const one = new Tally();
  for (const entry of entries) one.add(entry);
  const batch = tallyBatch(unpackBatch(packBatch(entries, [])));
  assert.equal(batch.size, one.size);
  assert.deepEqual(new Map([...batch.counts].sort()), new Map([...one.counts].sort()));
  assert.deepEqual(new Map([...batch.profiles].sort()), new Map([...one.profiles].sort()));
  assert.deepEqual(new Map([...batch.tops].sort()), new Map([...one.tops].sort()));
  assert.deepEqual(new Map([...batch.latency].sort()), new Map([...one.latency].sort()));
});
