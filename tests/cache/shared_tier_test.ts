/**
 * The shared tier over an in-memory stand-in for Redis (the real Redis runs in the e2e and
 * store tests): aged reads, batched writes, and a slow or failing store never delaying or
 * breaking an answer.
 */
import assert from "node:assert/strict";
import { decodeMessage, encodeReply, RClass, RType } from "../../dns/mod.ts";
import { SharedTier } from "../../cache/shared_tier.ts";
import { memoryStore } from "../support/memory_store.ts";
import { queryMessage } from "../support/dns_query.ts";

const answer = (ttl: number) =>
  encodeReply(queryMessage("www.test.example", RType.A, { edns: {} }), {
    answers: [{
      name: "www.test.example",
      type: RType.A,
      class: RClass.IN,
      ttl,
      data: { address: "192.0.2.1" },
    }],
  });

Deno.test("a written answer is read back by another tier, aged by the time since the write", async () => {
  let now = 1_000_000;
  const store = memoryStore(() => now);
  const writer = new SharedTier(store, { now: () => now, flushDelayMs: 1 });
  const reader = new SharedTier(store, { now: () => now });
  writer.write("k", answer(300), 300);
  await writer.flush();
  assert.ok(store.data.has("dns:cache:k"));
  now += 100_000;
  const bytes = await reader.read("k");
  assert.ok(bytes);
  assert.equal(decodeMessage(bytes).answers[0].ttl, 200);
  assert.deepEqual(reader.stats(), { reads: 1, hits: 1, writes: 0, errors: 0, dropped: 0 });
  now += 200_000;
  assert.equal(await reader.read("k"), undefined, "expired with the answer");
});

Deno.test("writes made together go to the store in one batch", async () => {
  const store = memoryStore(Date.now);
  const tier = new SharedTier(store, { flushDelayMs: 5 });
  for (let i = 0; i < 50; i++) tier.write(`k${i}`, answer(60), 60);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(store.batches, 1);
  assert.equal(tier.stats().writes, 50);
});

Deno.test("a slow store costs at most the read timeout; a broken one is a counted miss", async () => {
  const store = memoryStore(Date.now);
  const tier = new SharedTier(store, { readTimeoutMs: 30, flushDelayMs: 1 });
  tier.write("k", answer(60), 60);
  await tier.flush();
  store.mode = "slow";
  const started = performance.now();
  assert.equal(await tier.read("k"), undefined);
  assert.ok(performance.now() - started < 150);
  store.mode = "broken";
  assert.equal(await tier.read("k"), undefined);
  tier.write("k2", answer(60), 60);
  await tier.flush();
  assert.equal(tier.stats().errors, 2);
  store.mode = "ok";
  assert.ok(await tier.read("k"), "recovers when the store does");
  await new Promise((resolve) => setTimeout(resolve, 250)); // let the slow get finish
});

Deno.test("a full write queue drops new writes instead of growing", () => {
  const store = memoryStore(Date.now);
  const tier = new SharedTier(store, { maxQueued: 3, flushDelayMs: 1000 });
  for (let i = 0; i < 5; i++) tier.write(`k${i}`, answer(60), 60);
  assert.equal(tier.stats().dropped, 2);
  return tier.flush();
});

Deno.test("unreadable values are misses, not errors that reach the client", async () => {
  const store = memoryStore(Date.now);
  store.data.set("dns:cache:k", { value: new Uint8Array([9, 9, 9]), expires: Infinity });
  const tier = new SharedTier(store);
  assert.equal(await tier.read("k"), undefined);
});

Deno.test("SharedTier.purge() deletes one name's answers (glob characters literal), or all", async () => {
  const now = 1_000_000;
  const store = memoryStore(() => now);
  const tier = new SharedTier(store, { now: () => now, flushDelayMs: 1 });
  const bytes = new Uint8Array(20);
  for (
    const key of ["a.example|1|1|00", "a.example|28|1|00", "ab.example|1|1|00", "*.example|1|1|00"]
  ) {
    tier.write(key, bytes, 60);
  }
  await tier.flush();
  assert.equal(await tier.purge("a.example"), 2);
  assert.equal(await tier.purge("*.example"), 1, "the literal name *.example only");
  assert.deepEqual([...store.data.keys()], ["dns:cache:ab.example|1|1|00"]);
  tier.write("queued.example|1|1|00", bytes, 60);
  assert.equal(await tier.purge(), 1);
  await tier.flush();
  assert.equal(store.data.size, 0, "a queued write for a purged name is not sent afterwards");
});
