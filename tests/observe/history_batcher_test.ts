import assert from "node:assert/strict";
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
