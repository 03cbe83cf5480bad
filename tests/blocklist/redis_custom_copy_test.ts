/**
 * The Redis store's admin entries against a real redis-server that loses everything (FLUSHALL,
 * as a restart without persistence does): every instance hears of every edit to keep its copy,
 * entries put back from a copy count as an edit, and an instance that never saw the loss still
 * notices the lists that came back, though the version counter started again.
 */
import assert from "node:assert/strict";
import type { CustomEntries } from "../../blocklist/custom_copy.ts";
import { RedisBlocklist } from "../../blocklist/redis_blocklist.ts";
import { integration } from "../support/binaries.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";
import { inspect } from "../support/redis_inspect.ts";

Deno.test({
  name: "Redis store: copies follow every instance's edits, and come back after a loss",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const [, connect] = REDIS_CLIENTS[0];
    const stores = [connect(redis), connect(redis)];
    const copies: CustomEntries[][] = [[], []];
    const lost: string[][] = [];
    const [first, second] = stores.map(({ store }, i) =>
      new RedisBlocklist(store, {
        prefix: "t:",
        decisionLifetimeMs: 60_000,
        pollMs: 0,
        onCustomChange: (custom) => void copies[i].push(custom),
        onLost: (before) => lost.push(before.map((list) => list.name)),
      })
    );
    try {
      // Empty at the start: lost too, with nothing seen before.
      await first.refresh();
      await second.refresh();
      assert.deepEqual(lost, [[], []]);
      const more = { name: "more", block: ["more.example"], allow: [] };
      await first.load([{ name: "ads", block: ["ads.example"], allow: [] }, more]);
      await first.edit("add", "block", ["b.example", "a.example"]);
      assert.deepEqual(copies[0], [{ block: ["a.example", "b.example"], allow: [] }]);
      await second.refresh();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(copies[1], [{ block: ["a.example", "b.example"], allow: [] }]);
      assert.deepEqual(await second.decide("x.more.example"), {
        verdict: "blocked",
        rule: { list: "more", entry: "more.example" },
      });
      const seen = second.version;

      // Redis loses everything; the first notices and puts back its copy and a list, the
      // second looks only afterwards.
      await inspect(redis, "FLUSHALL");
      await first.refresh();
      assert.deepEqual(lost[2], ["custom", "ads", "more"]);
      await first.restoreCustom(copies[0][0]);
      await first.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
      await second.refresh();
      assert.ok(second.version > seen, "the second saw a change");
      assert.deepEqual(await second.customEntries(), copies[0][0]);
      assert.deepEqual(await second.decide("x.more.example"), { verdict: "none" });
      assert.deepEqual(
        (await second.summary()).map((list) => [list.name, list.blockEntries]),
        [["custom", 2], ["ads", 1]],
      );
    } finally {
      first.close();
      second.close();
      for (const { close } of stores) await close();
      await redis.stop();
    }
  },
});
