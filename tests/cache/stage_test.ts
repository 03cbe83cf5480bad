/**
 * The cache stage inside a real Resolver, in front of a scripted forward stage, with an
 * injected clock: hits skip the upstream, concurrent misses coalesce, failures are answered
 * stale with EDE 3, popular entries are refreshed before they expire, and only upstream
 * answers are cached.
 */
import assert from "node:assert/strict";
import {
  decodeExtendedError,
  decodeMessage,
  EdeCode,
  EdnsOptionCode,
  findOption,
  RClass,
  Rcode,
  RType,
} from "../../dns/mod.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { SharedTier } from "../../cache/shared_tier.ts";
import { cacheStage, STALE_TTL } from "../../cache/stage.ts";
import { memoryStore } from "../support/memory_store.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import type { Answer, AnswerSource, QueryContext, Stage } from "../../pipeline/types.ts";
import { makeQuery } from "../support/dns_query.ts";

type Mode = "answer" | "fail" | "blocked";

function setup(
  options: { prefetchHits?: number; delayMs?: number; shared?: SharedTier; maxTtl?: number } = {},
) {
  let now = 5_000_000;
  let mode: Mode = "answer";
  let address = 1;
  const calls: string[] = [];
  const cache = new AnswerCache({
    now: () => now,
    maxStaleSeconds: 3600,
    ...(options.maxTtl === undefined ? {} : { maxTtl: options.maxTtl }),
  });
  const upstream = (ctx: QueryContext): Promise<Answer> => {
    calls.push(ctx.question.name);
    const answerFor = (): Answer => {
      if (mode === "fail") {
        return replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL }, "error");
      }
      const source: AnswerSource = mode === "blocked" ? "blocked" : "upstream";
      const answers = [{
        name: ctx.question.name,
        type: RType.A,
        class: RClass.IN,
        ttl: 100,
        data: { address: `192.0.2.${address}` },
      }];
      return replyAnswer(ctx.query, { answers }, source);
    };
    const delay = options.delayMs ?? 0;
    return delay
      ? new Promise((resolve) => setTimeout(() => resolve(answerFor()), delay))
      : Promise.resolve(answerFor());
  };
  const forward: Stage = (ctx) => upstream(ctx);
  const stage = cacheStage({
    cache,
    shared: options.shared,
    refresh: upstream,
    prefetchHits: options.prefetchHits ?? 0,
    refreshTimeoutMs: 1000,
  });
  const resolver = new Resolver({
    stages: [guardStage, stage, forward],
    queryTimeoutMs: 1000,
    log: createQueryLog({ toStdout: false, capacity: 100 }),
  });
  const ask = async (name = "www.test.example", id = 1) => {
    const { answer, bytes } = await resolver.resolve(
      makeQuery(name, RType.A, { id, edns: {} }),
      { address: "", door: "doh" },
    );
    return { answer, message: decodeMessage(bytes) };
  };
  return {
    ask,
    resolver,
    calls,
    cache,
    advance: (seconds: number) => void (now += seconds * 1000),
    setMode: (next: Mode) => void (mode = next),
    setAddress: (next: number) => void (address = next),
  };
}

Deno.test("a repeated question is answered from the cache with the client's own ID", async () => {
  const { ask, calls, advance } = setup();
  await ask();
  advance(40);
  const { answer, message } = await ask("WWW.test.example", 777);
  assert.equal(calls.length, 1);
  assert.equal(answer.source, "cache");
  assert.equal(message.header.id, 777);
  assert.equal(message.questions[0].name, "WWW.test.example", "the client's own spelling");
  assert.equal(message.answers[0].ttl, 60);
  assert.equal(answer.ttl, 60);
});

Deno.test("a fresh hit is answered at once; a miss waits for the upstream", async () => {
  const { resolver, calls } = setup();
  const query = makeQuery("www.test.example", RType.A, { id: 5 });
  const client = { address: "", door: "doh" } as const;
  const miss = resolver.resolve(query, client);
  assert.ok(miss instanceof Promise);
  await miss;
  const hit = resolver.resolve(query, client);
  assert.ok(!(hit instanceof Promise), "no promise, no turn of the event loop");
  assert.equal(hit.answer.source, "cache");
  assert.equal(decodeMessage(hit.bytes).header.id, 5);
  assert.equal(calls.length, 1);
});

Deno.test("concurrent identical misses make one upstream query", async () => {
  const { ask, calls } = setup({ delayMs: 30 });
  const replies = await Promise.all(
    Array.from({ length: 10 }, (_, i) => ask("www.test.example", i)),
  );
  assert.equal(calls.length, 1);
  assert.deepEqual(
    replies.map((r) => r.message.header.id),
    Array.from({ length: 10 }, (_, i) => i),
  );
  for (const reply of replies) {
    assert.deepEqual(reply.message.answers[0].data, { address: "192.0.2.1" });
  }
});

Deno.test("every client of a coalesced miss gets the answer clamped as the cache keeps it", async () => {
  const { ask, calls } = setup({ delayMs: 30, maxTtl: 50 });
  const replies = await Promise.all(
    Array.from({ length: 5 }, (_, i) => ask("www.test.example", i)),
  );
  assert.equal(calls.length, 1);
  for (const reply of replies) {
    assert.equal(reply.message.answers[0].ttl, 50, "the upstream's 100 lowered to CACHE_MAX_TTL");
    assert.equal(reply.answer.ttl, 50);
  }
});

Deno.test("when the upstream fails, an expired entry is served stale: TTL 30, EDE 3", async () => {
  const { ask, advance, setMode } = setup();
  await ask();
  advance(500);
  setMode("fail");
  const { answer, message } = await ask();
  assert.equal(answer.source, "stale");
  assert.equal(message.header.rcode, Rcode.NOERROR);
  assert.equal(message.answers[0].ttl, STALE_TTL);
  const ede = findOption(message.edns!, EdnsOptionCode.EXTENDED_ERROR);
  assert.equal(decodeExtendedError(ede!.data).infoCode, EdeCode.STALE_ANSWER);
});

Deno.test("without a stale entry a failure stays SERVFAIL, and is not cached", async () => {
  const { ask, calls, setMode } = setup();
  setMode("fail");
  assert.equal((await ask()).message.header.rcode, Rcode.SERVFAIL);
  setMode("answer");
  assert.equal((await ask()).message.header.rcode, Rcode.NOERROR);
  assert.equal(calls.length, 2);
});

Deno.test("a popular entry near expiry is refreshed once in the background", async () => {
  const { ask, calls, advance, setAddress } = setup({ prefetchHits: 2 });
  await ask(); // miss: 1 call
  await ask(); // hit 1
  advance(50);
  await ask(); // hit 2, half the lifetime left: no prefetch
  assert.equal(calls.length, 1);
  advance(45);
  setAddress(9);
  const [first, second] = await Promise.all([ask(), ask()]); // 5 s of 100 left: one prefetch
  assert.equal(first.answer.source, "cache");
  assert.equal(second.answer.source, "cache");
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(calls.length, 2, "exactly one refresh");
  const refreshed = await ask();
  assert.deepEqual(refreshed.message.answers[0].data, { address: "192.0.2.9" });
  assert.equal(refreshed.message.answers[0].ttl, 100);
});

Deno.test("answers that are not from an upstream (blocked) never enter the cache", async () => {
  const { ask, calls, setMode, cache } = setup();
  setMode("blocked");
  await ask();
  await ask();
  assert.equal(calls.length, 2);
  assert.equal(cache.stats().entries, 0);
});

Deno.test("a second instance answers from the shared tier without asking its upstream", async () => {
  const store = memoryStore(Date.now);
  const first = setup({ shared: new SharedTier(store, { flushDelayMs: 1 }) });
  const secondTier = new SharedTier(store);
  const second = setup({ shared: secondTier });
  await first.ask();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const { answer, message } = await second.ask("www.test.example", 4242);
  assert.equal(second.calls.length, 0);
  assert.equal(answer.source, "cache");
  assert.equal(message.header.id, 4242);
  assert.deepEqual(message.answers[0].data, { address: "192.0.2.1" });
  await second.ask();
  assert.equal(secondTier.stats().reads, 1, "then it is in the second instance's own L1");
});
