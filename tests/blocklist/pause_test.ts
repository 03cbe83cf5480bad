/**
 * Pausing blocking: the blocklist stage inside a real Resolver answers listed names while
 * paused and blocks them again once resumed or once the pause is over, rebinding protection
 * holding throughout; remembered answers end with each change; with Redis every instance
 * follows another's pause and resume.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { BlockingPause } from "../../blocklist/pause.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { AnswerMemo } from "../../pipeline/answer_memo.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { eventually } from "../support/eventually.ts";
import { localResolver } from "../support/local_resolver.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";

const TABLE = { "ads.example": ["192.0.2.9"], "router.example": ["192.168.1.1"] };

async function setup(pause: BlockingPause) {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 60 },
    failMode: "open",
    rebinding: { exempt: () => false },
    pause,
  });
  const memo = new AnswerMemo();
  memo.dependOn(blocklist);
  memo.dependOn(pause);
  const resolver = localResolver(TABLE, { extraStages: [stage], memo });
  const rcodeOf = async (name: string) => {
    const raw = makeQuery(name, RType.A, { id: 7 });
    const client = { address: "192.0.2.1", door: "doh" as const };
    // As the DoH door asks: the remembered answer for the same request first.
    const request = new TextEncoder().encode(`/dns-query?name=${name}`);
    const { bytes } = resolver.repeat(request, client) ??
      await resolver.resolve(raw, client, undefined, request);
    return decodeMessage(bytes).header.rcode;
  };
  return rcodeOf;
}

Deno.test("while blocking is paused a listed name resolves; resumed, it is blocked again", async () => {
  const lines: string[] = [];
  let now = Date.UTC(2026, 0, 10, 12);
  const pause = new BlockingPause({ print: (line) => lines.push(line), now: () => now });
  const rcodeOf = await setup(pause);
  assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
  assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN, "remembered");
  assert.deepEqual(await pause.pause(5), { paused: true, until: now + 5 * 60_000 });
  assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR, "the remembered block is not reused");
  assert.equal(await rcodeOf("router.example"), Rcode.NXDOMAIN, "rebinding protection holds");
  assert.deepEqual(lines, ["blocking paused until 2026-01-10T12:05:00.000Z: no list decides"]);
  await pause.resume();
  assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
  assert.equal(lines.at(-1), "blocking resumed: lists decide again");
  await pause.pause();
  assert.deepEqual(pause.state(), { paused: true });
  assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR);
  assert.equal(lines.at(-1), "blocking paused until resumed: no list decides");
  await pause.pause(1);
  now += 60_000;
  assert.deepEqual(pause.state(), { paused: false }, "a timed pause ends by itself");
  assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
  pause.close();
});

for (const [client, connect] of REDIS_CLIENTS) {
  Deno.test({
    name: `with Redis (${client}) every instance pauses and resumes within about a second`,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      const one = connect(redis);
      const two = connect(redis);
      const quiet = () => {};
      const first = new BlockingPause({ redis: { store: one.store, prefix: "t:" }, print: quiet });
      const second = new BlockingPause({ redis: { store: two.store, prefix: "t:" }, print: quiet });
      try {
        const rcodeOf = await setup(second);
        assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
        const started = Date.now();
        await first.pause(5);
        await eventually(
          async () => assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR),
          3000,
        );
        assert.ok(Date.now() - started < 2500, "within about a second");
        assert.equal(second.state().until, first.state().until);
        assert.equal(await one.store.getString("t:pause"), String(first.state().until));
        await first.resume();
        await eventually(
          async () => assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN),
          3000,
        );
        await first.pause();
        await eventually(
          () => Promise.resolve(assert.deepEqual(second.state(), { paused: true })),
          3000,
        );
        await second.resume();
        await eventually(
          () => Promise.resolve(assert.deepEqual(first.state(), { paused: false })),
          3000,
        );
      } finally {
        first.close();
        second.close();
        await one.close();
        await two.close();
        await redis.stop();
      }
    },
  });
}
