/**
 * The answer cache's rules, each with an injected clock (no sleeping): what enters, how TTLs
 * age and are clamped, negative caching, the stale window, and byte-bounded LRU eviction.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  encodeReply,
  headOf,
  type Message,
  RClass,
  Rcode,
  type ResourceRecord,
  RType,
} from "../../dns/mod.ts";
import { AnswerCache, type CacheOptions } from "../../cache/answer_cache.ts";
import { cacheKey } from "../../cache/key.ts";
import { answerFromBytes } from "../../pipeline/answer_builders.ts";
import type { Answer } from "../../pipeline/types.ts";
import { queryMessage } from "../support/dns_query.ts";
import { soaRecord } from "../support/records.ts";

const NAME = "www.test.example";

function a(ttl: number, address = "192.0.2.1", name = NAME): ResourceRecord {
  return { name, type: RType.A, class: RClass.IN, ttl, data: { address } };
}

const soa = soaRecord;

function setup(options: Partial<CacheOptions> = {}, name = NAME, type: number = RType.A) {
  let now = 1_000_000;
  const cache = new AnswerCache({ ...options, now: () => now });
  const query = queryMessage(name, type, { edns: {} });
  const ctx = { query, head: headOf(query), question: query.questions[0] };
  const answer = (init: Parameters<typeof encodeReply>[1], bytes?: Uint8Array): Answer =>
    answerFromBytes(bytes ?? encodeReply(query, init), "upstream");
  return {
    cache,
    ctx,
    key: cacheKey(ctx),
    answer,
    advance: (seconds: number) => void (now += seconds * 1000),
  };
}

const ttls = (bytes: Uint8Array) => {
  const message: Message = decodeMessage(bytes);
  return [...message.answers, ...message.authorities].map((r) => r.ttl);
};

Deno.test("a cached answer comes back with TTLs aged by the time spent in the cache", () => {
  const { cache, ctx, key, answer, advance } = setup();
  assert.ok(cache.store(key, ctx, answer({ answers: [a(300), a(60, "192.0.2.2")] })));
  advance(25);
  const hit = cache.lookup(key)!;
  assert.deepEqual(ttls(hit.answer.bytes), [275, 35]);
  assert.equal(hit.answer.ttl, 35);
  assert.equal(hit.answer.source, "cache");
  advance(35);
  const expired = cache.lookup(key)!;
  assert.equal(expired.remaining, 0, "expired entries are only kept for serving stale");
  assert.deepEqual(ttls(expired.answer.bytes), [240, 0]);
});

Deno.test("TTLs are clamped to CACHE_MIN_TTL and CACHE_MAX_TTL", () => {
  const { cache, ctx, key, answer, advance } = setup({ minTtl: 30, maxTtl: 600 });
  cache.store(key, ctx, answer({ answers: [a(5), a(86400, "192.0.2.2")] }));
  const hit = cache.lookup(key)!;
  assert.deepEqual(ttls(hit.answer.bytes), [30, 600]);
  advance(29);
  assert.ok(cache.lookup(key)!.remaining > 0);
  advance(1);
  assert.equal(cache.lookup(key)!.remaining, 0);
});

Deno.test("clamped() gives the answer as the cache keeps it, its ttl the lifetime", () => {
  const { cache, ctx, answer } = setup({ minTtl: 30, maxTtl: 600 });
  const positive = cache.clamped(ctx, answer({ answers: [a(5), a(86400, "192.0.2.2")] }));
  assert.deepEqual(ttls(positive.bytes), [30, 600]);
  assert.equal(positive.ttl, 30);
  // A negative answer whose MINIMUM is below CACHE_MIN_TTL lives CACHE_MIN_TTL.
  const negative = cache.clamped(
    ctx,
    answer({ rcode: Rcode.NXDOMAIN, authorities: [soa(3600, 10)] }),
  );
  assert.deepEqual(ttls(negative.bytes), [30]);
  assert.equal(negative.ttl, 30);
  const within = answer({ answers: [a(300)] });
  assert.equal(cache.clamped(ctx, within), within, "nothing to move: the answer itself");
});

Deno.test("NXDOMAIN and NODATA are cached for min(SOA TTL, MINIMUM), the SOA TTL capped to it", () => {
  for (const rcode of [Rcode.NXDOMAIN, Rcode.NOERROR]) {
    const { cache, ctx, key, answer, advance } = setup();
    assert.ok(cache.store(key, ctx, answer({ rcode, authorities: [soa(3600, 120)] })));
    const hit = cache.lookup(key)!;
    assert.equal(hit.lifetime, 120);
    assert.deepEqual(ttls(hit.answer.bytes), [120]);
    advance(120);
    assert.equal(cache.lookup(key)!.remaining, 0);
  }
});

Deno.test("never cached: negative answers without SOA, truncated, SERVFAIL/REFUSED, other questions", () => {
  const { cache, ctx, key, answer } = setup();
  assert.equal(cache.store(key, ctx, answer({ rcode: Rcode.NXDOMAIN })), 0);
  assert.equal(cache.store(key, ctx, answer({ rcode: Rcode.SERVFAIL })), 0);
  assert.equal(cache.store(key, ctx, answer({ rcode: Rcode.REFUSED })), 0);
  const truncated = encodeReply(ctx.query, { answers: [a(300)] });
  truncated[2] |= 0x02;
  assert.equal(cache.store(key, ctx, answer({}, truncated)), 0);
  const other = queryMessage("other.test.example", RType.A, { edns: {} });
  const wrong = encodeReply(other, { answers: [a(300, "6.6.6.6", "other.test.example")] });
  assert.equal(cache.store(key, ctx, answer({}, wrong)), 0);
  assert.equal(cache.store(key, ctx, answer({ answers: [a(0)] })), 0, "TTL 0: not kept");
  assert.equal(cache.stats().entries, 0);
});

Deno.test("SERVFAIL is cached for CACHE_ERROR_TTL seconds when configured", () => {
  const { cache, ctx, key, answer, advance } = setup({ errorTtl: 5 });
  assert.ok(cache.store(key, ctx, answer({ rcode: Rcode.SERVFAIL })));
  assert.equal(cache.lookup(key)!.remaining, 5);
  advance(5);
  assert.equal(cache.lookup(key)!.remaining, 0);
});

Deno.test("the key tells DO and CD apart and ignores the name's case", () => {
  const base = queryMessage(NAME, RType.A, { edns: {} });
  const key = (query: Message) => {
    const head = headOf(query);
    return cacheKey({ head, question: head.question! });
  };
  const dnssec = queryMessage(NAME, RType.A, { edns: { dnssecOk: true } });
  const cd = { ...base, header: { ...base.header, checkingDisabled: true } };
  const keys = new Set([key(base), key(dnssec), key(cd), key(queryMessage(NAME, RType.AAAA))]);
  assert.equal(keys.size, 4);
  const decoded = decodeMessage(encodeReply(queryMessage("WWW.Test.EXAMPLE", RType.A)));
  assert.equal(key(decoded), key(queryMessage(NAME, RType.A)));
});

Deno.test("expired entries are served stale only within CACHE_MAX_STALE, then dropped", () => {
  const { cache, ctx, key, answer, advance } = setup({ maxStaleSeconds: 100 });
  cache.store(key, ctx, answer({ answers: [a(60)] }));
  advance(60 + 99);
  assert.ok(cache.lookup(key) !== undefined);
  advance(1);
  assert.equal(cache.lookup(key), undefined);
  assert.equal(cache.stats().entries, 0);
});

Deno.test("the cache stays within CACHE_MAX_BYTES, evicting the least recently used", () => {
  const { cache, answer, advance } = setup({ maxBytes: 4000 });
  const keys: string[] = [];
  for (let i = 0; i < 40; i++) {
    const query = queryMessage(`host${i}.test.example`, RType.A, { edns: {} });
    const ctx = { query, head: headOf(query), question: query.questions[0] };
    const key = cacheKey(ctx);
    keys.push(key);
    cache.store(
      key,
      ctx,
      answer({}, encodeReply(query, { answers: [a(300, "192.0.2.1", `host${i}.test.example`)] })),
    );
    cache.lookup(keys[0]); // host0 is asked for all the time: never the least recently used
    advance(1);
  }
  const stats = cache.stats();
  assert.ok(stats.bytes <= 4000, `${stats.bytes} bytes held`);
  assert.ok(stats.evictions > 0 && stats.entries < 40);
  assert.equal(cache.lookup(keys[39])?.remaining !== undefined, true, "newest kept");
  assert.equal(cache.lookup(keys[1]), undefined, "oldest untouched evicted");
  assert.ok(cache.lookup(keys[0]) !== undefined, "the popular one survives");
});

Deno.test("an answer bigger than the whole cache is not kept, and deleteName/clear empty it", () => {
  const { cache, ctx, key, answer } = setup({ maxBytes: 200 });
  const big = answer({ answers: Array.from({ length: 20 }, (_, i) => a(300, `192.0.2.${i}`)) });
  assert.equal(cache.store(key, ctx, big), 0);
  const roomy = setup();
  roomy.cache.store(roomy.key, roomy.ctx, roomy.answer({ answers: [a(300)] }));
  assert.equal(roomy.cache.deleteName(NAME), 1);
  assert.equal(roomy.cache.stats().bytes, 0);
});
