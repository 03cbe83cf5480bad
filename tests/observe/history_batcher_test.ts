import assert from "node:assert/strict";
import {
  BatchPacker,
  entryAt,
  type PackedBatch,
  unpackBatch,
} from "../../observe/history_batch.ts";
import { HistoryBatcher, type HistorySink } from "../../observe/history_batcher.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";

const entry = (name: string): QueryLogEntry => ({
  time: Date.UTC(2026, 0, 10),
  client: "192.0.2.10",
  door: "udp",
  name,
  type: 1,
});

function sink(): HistorySink & { got: string[] } {
  const got: string[] = [];
  return { got, write: (entries) => void got.push(...entries.map((e) => e.name)) };
}

Deno.test("entries wait for the stores to open, then go to them in one batch", () => {
  const batcher = new HistoryBatcher({ sinks: [] });
  batcher.record(entry("a.example"));
  batcher.record(entry("b.example"));
  const store = sink();
  batcher.setSinks([store]);
  assert.deepEqual(store.got, ["a.example", "b.example"]);
  batcher.record(entry("c.example"));
  batcher.flush();
  assert.deepEqual(store.got, ["a.example", "b.example", "c.example"]);
});

Deno.test("told there is no store, the batcher lets every entry go and keeps none", () => {
  const batcher = new HistoryBatcher({ sinks: [], maxQueued: 2 });
  batcher.record(entry("early.example"));
  batcher.setSinks([]);
  for (let i = 0; i < 10; i++) batcher.record(entry(`n${i}.example`));
  assert.equal(batcher.dropped, 0, "nothing dropped for want of room: nothing is kept");
  const store = sink();
  batcher.setSinks([store]);
  assert.deepEqual(store.got, [], "the entries before were let go, not held");
});

Deno.test("by default a batch is a second's entries, up to 10,000: the worker's cost falls with it", async () => {
  const store = sink();
  const batcher = new HistoryBatcher({ sinks: [store] });
  for (let i = 0; i < 9_999; i++) batcher.record(entry(`n${i}.example`));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(store.got.length, 0, "neither full nor a second old");
  batcher.record(entry("last.example"));
  assert.equal(store.got.length, 10_000, "full: sent at once");
  batcher.record(entry("next.example"));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(store.got.length, 10_001, "a second later");
});

/** A store that takes packed batches, as the SQLite one does. */
function packedSink(): HistorySink & { got: string[]; batches: number; lists: number } {
  const store = {
    got: [] as string[],
    batches: 0,
    /** Batches given as lists of entries. */
    lists: 0,
    write: (entries: QueryLogEntry[]) => {
      store.lists++;
      store.got.push(...entries.map((e) => e.name));
    },
    newPacker: () => new BatchPacker(),
    writePacked: (packed: PackedBatch) => {
      store.batches++;
      const batch = unpackBatch(packed);
      for (let row = 0; row < batch.count; row++) store.got.push(entryAt(batch, row).name);
    },
  };
  return store;
}

Deno.test("to a store alone that takes packed batches, entries go packed: those that waited too", () => {
  const batcher = new HistoryBatcher({ sinks: [], maxQueued: 5 });
  batcher.record(entry("early.example"));
  const store = packedSink();
  batcher.setSinks([store]);
  assert.deepEqual(store.got, ["early.example"]);
  for (let i = 0; i < 3; i++) batcher.record(entry(`n${i}.example`));
  batcher.flush();
  assert.deepEqual(store.got, ["early.example", "n0.example", "n1.example", "n2.example"]);
  assert.equal(store.batches, 2);
  assert.equal(store.lists, 0);
  // Packed rows count against maxQueued as entries do.
  for (let i = 0; i < 7; i++) batcher.record(entry(`m${i}.example`));
  assert.equal(batcher.dropped, 2);
});

Deno.test("rows packed for a store go to it before other stores take over; two stores get entries", () => {
  const batcher = new HistoryBatcher({ sinks: [] });
  const sqlite = packedSink();
  batcher.setSinks([sqlite]);
  batcher.record(entry("packed.example"));
  const plain = sink();
  const other = packedSink();
  batcher.setSinks([other, plain]);
  assert.deepEqual(sqlite.got, ["packed.example"]);
  batcher.record(entry("both.example"));
  batcher.flush();
  // Two stores share one list of entries, however either takes batches alone.
  assert.deepEqual([other.got, other.lists, other.batches], [["both.example"], 1, 0]);
  assert.deepEqual(plain.got, ["both.example"]);
});
