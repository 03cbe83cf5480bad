/**
 * The server's list sync loads its machinery on the first run and then works as ListSync does:
 * lists load, the last report is kept, and runs asked for at once share one.
 */
import assert from "node:assert/strict";
import { LazyListSync } from "../../blocklist/lazy_sync.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { startListServer } from "../support/list_server.ts";

Deno.test("a lazy sync loads its lists on the first run and keeps the report", async () => {
  const server = startListServer();
  server.set("ads", "0.0.0.0 ads.example\n||tracker.example^\n");
  const blocklist = new MemoryBlocklist();
  const sources = [{ name: "ads", location: `${server.url}/ads`, kind: "block" as const }];
  const sync = new LazyListSync(blocklist, sources, {
    maxAgeMs: 3_600_000,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
  });
  try {
    assert.deepEqual(sync.sources, sources);
    assert.equal(sync.lastReport, undefined);
    const [first, second] = await Promise.all([sync.run(), sync.run()]);
    assert.equal(first, second, "runs asked for at once share one");
    assert.equal(server.requests.length, 1);
    assert.equal(first.lists[0].blockEntries, 2);
    assert.equal(sync.lastReport, first);
    assert.equal(blocklist.decide("ads.example").verdict, "blocked");
    assert.equal(blocklist.decide("cdn.tracker.example").verdict, "blocked");
    const forced = await sync.run(true);
    assert.equal(server.requests.length, 2, "a forced run fetches again");
    assert.equal(sync.lastReport, forced);
  } finally {
    await server.close();
  }
});
