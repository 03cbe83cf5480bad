/**
 * The server's sync schedule: the first sync runs at start, a list that failed with nothing
 * to fall back on is retried soon (not a refresh interval later), and stop() ends it all.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { scheduleSync } from "../../blocklist/schedule.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { eventually } from "../support/eventually.ts";
import { startListServer } from "../support/list_server.ts";

Deno.test("a list that failed at startup is retried soon and loads once its server answers", async () => {
  const server = startListServer();
  server.set("ads", "0.0.0.0 ads.example\n");
  server.mode = "fail";
  const blocklist = new MemoryBlocklist();
  const sync = new ListSync(blocklist, [{
    name: "ads",
    location: `${server.url}/ads`,
    kind: "block",
  }], {
    maxAgeMs: 3_600_000,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
  });
  const lines: string[] = [];
  const schedule = scheduleSync({ refreshMs: 3_600_000, retryMs: 50, print: (l) => lines.push(l) });
  try {
    schedule.start(sync);
    await eventually(() => Promise.resolve(assert.equal(server.requests.length, 2)), 3000);
    assert.match(lines[0], /^blocklist ads: failed, nothing loaded, \d+ ms; .*HTTP 500/);
    server.mode = "ok";
    await eventually(
      () => Promise.resolve(assert.equal(blocklist.decide("ads.example").verdict, "blocked")),
      3000,
    );
    const seen = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(server.requests.length, seen, "loaded: the next sync is a refresh interval away");
  } finally {
    schedule.stop();
    await server.close();
  }
});
