/**
 * Remembered answers (pipeline/answer_memo.ts) inside a real Resolver with the real cache,
 * blocklist and local-records stages and an injected clock: a repeat is the answer a lookup
 * would give, counted and logged as the hit or block it stands for, for as long as that answer
 * holds and no longer.
 */
import assert from "node:assert/strict";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { cacheStage } from "../../cache/stage.ts";
import { blocklistStage, type BlocklistStats } from "../../blocklist/stage.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import type { Blocklist } from "../../blocklist/blocklist.ts";
import { decodeMessage, peekQuery, RClass, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import { plainProfile } from "../../pipeline/profile.ts";
import {
  AnswerMemo,
  type MemoRequest,
  type Reusable,
  sameRequest,
} from "../../pipeline/answer_memo.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { type Resolution, Resolver } from "../../pipeline/resolver.ts";
import type { Answer, ClientInfo, QueryContext, Stage } from "../../pipeline/types.ts";
import { makeQuery } from "../support/dns_query.ts";
import { Random } from "../support/random_messages.ts";
import { parseRecords } from "../../records/parse.ts";
import { localStage } from "../../records/stage.ts";
import { RecordStore } from "../../records/store.ts";

const CLIENT: ClientInfo = { address: "192.0.2.7", door: "doh", method: "GET" };
const KEY = "https://gateway.test/dns-query?dns=AAAB";
const NAME = "www.memo.example";
/** Entries are stored at this clock reading: their seconds of life start on it. */
const START = 7_000_000;

function setup(
  options: {
    prefetchHits?: number;
    blocklist?: Blocklist;
    stats?: BlocklistStats;
    otherVersion?: () => number;
  } = {},
) {
  const clock = { now: START };
  const now = () => clock.now;
  let upstreamCalls = 0;
  const cache = new AnswerCache({ now });
  const blocklist = options.blocklist ?? new MemoryBlocklist();
  const forward: Stage = (ctx: QueryContext): Promise<Answer> => {
    upstreamCalls++;
    const answers = [{
      name: ctx.question.name,
      type: RType.A,
      class: RClass.IN,
      ttl: 100,
      data: { address: "192.0.2.1" },
    }];
    return Promise.resolve(replyAnswer(ctx.query, { answers }, "upstream"));
  };
  const memo = new AnswerMemo();
  memo.dependOn(blocklist);
  memo.dependOn(cache);
  const otherVersion = options.otherVersion;
  if (otherVersion) {
    memo.dependOn({
      get version() {
        return otherVersion();
      },
    });
  }
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const resolver = new Resolver({
    stages: [
      guardStage,
      blocklistStage({
        blocklist,
        answer: { response: "nxdomain", ttl: 60 },
        failMode: "open",
        stats: options.stats,
      }),
      cacheStage({
        cache,
        refresh: (ctx) => Promise.resolve(forward(ctx, () => Promise.reject())),
        prefetchHits: options.prefetchHits ?? 0,
        refreshTimeoutMs: 1000,
      }),
      forward,
    ],
    queryTimeoutMs: 1000,
    log,
    memo,
    now,
  });
  const query = makeQuery(NAME, RType.A, { id: 0, edns: {} });
  /** The request as a door makes it: the memo first, else the resolver with the request. */
  const request = async (key: MemoRequest = KEY, raw = query) =>
    resolver.repeat(key, CLIENT) ?? await resolver.resolve(raw, CLIENT, undefined, key);
  return {
    clock,
    cache,
    blocklist,
    memo,
    log,
    resolver,
    request,
    upstreamCalls: () => upstreamCalls,
  };
}

const ttlOf = (resolution: Resolution) => decodeMessage(resolution.bytes).answers[0].ttl;

Deno.test("a repeated request gets the answer a cache lookup would give, logged and counted as a hit", async () => {
  const { request, resolver, cache, log, clock, upstreamCalls } = setup();
  const first = await request();
  assert.equal(first.answer.source, "upstream");
  clock.now += 2500;
  const looked = await request(); // a cache hit: remembered from here on
  assert.equal(looked.answer.source, "cache");
  const hitsBefore = cache.stats().hits;
  clock.now += 200;
  const repeated = resolver.repeat(KEY, CLIENT);
  assert.ok(repeated, "remembered");
  assert.deepEqual(repeated.bytes, looked.bytes);
  assert.equal(ttlOf(repeated), 98);
  assert.equal(repeated.answer.ttl, 98, "cache-control's max-age");
  assert.equal(cache.stats().hits, hitsBefore + 1, "a reuse counts as a cache hit");
  assert.equal(upstreamCalls(), 1);
  const entry = log.recent().at(-1)!;
  assert.deepEqual(
    { ...entry, time: 0 },
    {
      time: 0,
      client: "192.0.2.7",
      door: "doh",
      method: "GET",
      profile: "default",
      clientName: undefined,
      logMode: undefined,
      name: NAME,
      type: RType.A,
      source: "cache",
      rcode: 0,
      durationMs: 0,
    },
  );
});

Deno.test("a remembered answer holds for the rest of its entry's second, then TTLs count down", async () => {
  const { request, resolver, clock } = setup();
  await request();
  clock.now += 1999; // elapsed 1 s of the entry's life, to START + 2000
  assert.equal(ttlOf(await request()), 99);
  assert.equal(ttlOf(resolver.repeat(KEY, CLIENT)!), 99);
  clock.now += 1;
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "the second has ended");
  assert.equal(ttlOf(await request()), 98);
});

Deno.test("only the same key is the same request: another GET or a POST is looked up", async () => {
  const { request, resolver } = setup();
  await request();
  await request();
  assert.ok(resolver.repeat(KEY, CLIENT));
  assert.equal(resolver.repeat(`${KEY}x`, CLIENT), undefined);
  const body = makeQuery(NAME, RType.A, { id: 0, edns: {} });
  assert.equal(resolver.repeat(body, CLIENT), undefined);
  const latin1 = String.fromCharCode(...body);
  assert.equal(resolver.repeat(latin1, CLIENT), undefined, "a URL never meets a body");
  assert.ok(!sameRequest(body, makeQuery(NAME, RType.A, { id: 1, edns: {} })));
});

/** The plain way the memo keyed a request: a URL as it is, a body's bytes as text after "#". */
function plainKey(request: MemoRequest): string {
  return typeof request === "string" ? request : "#" + String.fromCharCode(...request);
}

Deno.test("requests are the same exactly when their plain string keys are equal", () => {
  const random = new Random(0x3e30);
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const length = random.int(4) === 0 ? 2 + random.int(3) : 17 + random.int(40);
    const bytes = Uint8Array.from({ length }, () => random.int(256));
    bodies.push(bytes);
    // Near neighbours: one byte changed, one byte more or less, an equal copy.
    const changed = bytes.slice();
    changed[random.int(length)] ^= 1 + random.int(255);
    bodies.push(changed, bytes.slice(0, -1), Uint8Array.of(...bytes, 0), bytes.slice());
  }
  const requests: MemoRequest[] = [...bodies, ...bodies.slice(0, 50).map((b) => plainKey(b))];
  requests.push("", "#", "https://gw.example/dns-query?dns=AAAB");
  for (let i = 0; i < 4000; i++) {
    const a = requests[random.int(requests.length)];
    const b = random.bool(0.3) ? a : requests[random.int(requests.length)];
    assert.equal(sameRequest(a, b), plainKey(a) === plainKey(b) && typeof a === typeof b);
  }
});

Deno.test("a remembered POST keeps its own copy of the body: a door may reuse its buffer", () => {
  const memo = new AnswerMemo({ slots: 1 });
  const profile = plainProfile();
  const log = { time: 0, client: "", door: "udp" as const, name: "a.example", type: 1, rcode: 0 };
  const resolution: Resolution = {
    answer: {
      bytes: new Uint8Array(40),
      rcode: 0,
      ttl: 5,
      ttlOffsets: [],
      source: "cache",
      reusable: { until: 10, touch() {} },
    },
    bytes: new Uint8Array(40),
    head: peekQuery(makeQuery("a.example", RType.A))!,
  };
  const buffer = makeQuery("a.example", RType.A);
  const first = buffer.slice();
  memo.remember(buffer, resolution, log, profile);
  buffer.fill(0); // the door reads its next datagram into the same bytes
  memo.remember(first, resolution, log, profile);
  assert.ok(memo.recall(first.slice(), 5, profile), "second sight of the first body");
  assert.equal(memo.recall(buffer, 5, profile), undefined);
});

Deno.test("a POST's body is its request: an equal body is the same request, a GET never meets it", async () => {
  const { request, resolver } = setup();
  const body = makeQuery(NAME, RType.A, { id: 0, edns: {} });
  await request(body, body);
  await request(body, body);
  assert.ok(resolver.repeat(body.slice(), CLIENT), "an equal body in another array");
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "the GET was never asked");
  const other = makeQuery(NAME, RType.AAAA, { id: 0, edns: {} });
  assert.equal(resolver.repeat(other, CLIENT), undefined);
});

Deno.test("an owner of state joins by one call, and its move ends every remembered answer", async () => {
  const { request, resolver, memo } = setup();
  const zones = { version: 0 };
  memo.dependOn(zones);
  await request();
  await request();
  assert.ok(resolver.repeat(KEY, CLIENT), "remembered");
  zones.version++;
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "the new owner's state moved");
});

Deno.test("a list edit, a cache flush or another change each end every remembered answer", async () => {
  let records = 0;
  const { request, resolver, blocklist, cache } = setup({ otherVersion: () => records });
  const remembered = async () => {
    await request();
    await request();
    assert.ok(resolver.repeat(KEY, CLIENT), "remembered");
  };
  await remembered();
  await blocklist.edit("add", "block", [NAME]);
  assert.equal(resolver.repeat(KEY, CLIENT), undefined);
  assert.equal((await request()).answer.source, "blocked", "the edit shows on the next query");
  await blocklist.edit("remove", "block", [NAME]);
  await remembered();
  cache.clear();
  assert.equal(resolver.repeat(KEY, CLIENT), undefined);
  await remembered();
  cache.deleteName(NAME);
  assert.equal(resolver.repeat(KEY, CLIENT), undefined);
  await remembered();
  await blocklist.load([{ name: "ads", block: ["elsewhere.example"], allow: [] }]);
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "a list load");
  await remembered();
  records++;
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "a records reload");
});

Deno.test("a block is remembered while the lists stay, logged with its rule and counted", async () => {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([{ name: "ads", block: [NAME], allow: [] }]);
  const stats = { blocked: 0, allowed: 0, errors: 0 };
  const { request, resolver, log, clock, upstreamCalls } = setup({ blocklist, stats });
  const first = await request();
  assert.equal(first.answer.source, "blocked");
  await request();
  clock.now += 3_600_000; // a block does not age: an hour later it still holds
  const repeated = resolver.repeat(KEY, CLIENT);
  assert.ok(repeated, "remembered");
  assert.deepEqual(repeated.bytes, first.bytes);
  assert.equal(stats.blocked, 3, "each repeat counts as a block");
  const entry = log.recent().at(-1)!;
  assert.deepEqual([entry.source, entry.rule, entry.rcode], ["blocked", `ads: ${NAME}`, 3]);
  await blocklist.edit("add", "allow", [NAME]);
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "the lists moved");
  assert.equal((await request()).answer.source, "upstream");
  assert.equal(upstreamCalls(), 1);
});

Deno.test("a repeat of an allowed name counts as the decision it skips", async () => {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([{ name: "ads", block: ["memo.example"], allow: [NAME] }]);
  const stats = { blocked: 0, allowed: 0, errors: 0 };
  const { request, resolver, cache } = setup({ blocklist, stats });
  await request();
  assert.equal((await request()).answer.source, "cache");
  const hits = cache.stats().hits;
  assert.ok(resolver.repeat(KEY, CLIENT));
  assert.deepEqual([stats.allowed, cache.stats().hits], [3, hits + 1]);
});

Deno.test("upstream answers are never remembered", async () => {
  const { request, resolver } = setup();
  await request();
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "seen once");
  await request(`${KEY}&x`);
  await request(`${KEY}&x`);
  assert.ok(resolver.repeat(`${KEY}&x`, CLIENT), "the cache hit after it is");
});

Deno.test("an answer that waited on the way (a store such as Redis) goes with the store's version", async () => {
  const memory = new MemoryBlocklist();
  const waiting = {
    description: "waiting",
    version: 0,
    decide: (name: string) => Promise.resolve(memory.decide(name)),
    load: () => Promise.resolve(),
    edit: () => Promise.resolve(0),
    customEntries: () => Promise.resolve({ block: [], allow: [] }),
    summary: () => Promise.resolve([]),
    close: () => {},
  };
  const { request, resolver } = setup({ blocklist: waiting });
  await request();
  assert.equal((await request()).answer.source, "cache");
  assert.ok(resolver.repeat(KEY, CLIENT));
  waiting.version++; // the store's version moved (another instance's edit, seen by its poll)
  assert.equal(resolver.repeat(KEY, CLIENT), undefined);
});

Deno.test("near expiry a hit is looked up every time, so a popular entry is still prefetched", async () => {
  const { request, resolver, clock, upstreamCalls } = setup({ prefetchHits: 2 });
  await request();
  await request();
  assert.ok(resolver.repeat(KEY, CLIENT), "remembered while far from expiry");
  clock.now += 91_000; // 9 s of 100 left: under the 10 % share
  await request();
  assert.equal(resolver.repeat(KEY, CLIENT), undefined);
  await request();
  assert.equal(upstreamCalls(), 2, "the refresh went out");
});

Deno.test("a key is remembered on its second sight; other keys take its slot; large answers never", () => {
  const memo = new AnswerMemo({ slots: 1 });
  let touched = 0;
  const reusable = { until: 10, touch: () => void touched++ };
  const log = { time: 0, client: "", door: "doh" as const, name: "a.example", type: 1, rcode: 0 };
  const profile = plainProfile();
  const resolution = (length: number, reuse: Reusable | null = reusable): Resolution => ({
    answer: {
      bytes: new Uint8Array(length),
      rcode: 0,
      ttl: 5,
      ttlOffsets: [],
      source: "cache",
      reusable: reuse ?? undefined,
    },
    bytes: new Uint8Array(length).fill(7),
    head: peekQuery(makeQuery("a.example", RType.A))!,
  });
  memo.remember("a", resolution(100), log, profile);
  assert.equal(memo.recall("a", 5, profile), undefined, "seen once");
  const kept = resolution(100);
  memo.remember("a", kept, log, profile);
  const recalled = memo.recall("a", 5, profile);
  assert.deepEqual(recalled?.resolution.bytes, kept.bytes);
  assert.notEqual(recalled?.resolution.bytes.buffer, kept.bytes.buffer, "a copy of its own");
  assert.equal(touched, 1);
  assert.equal(memo.recall("a", 5, plainProfile("kids")), undefined, "another profile's");
  assert.equal(touched, 1, "and not counted as a reuse");
  assert.equal(memo.recall("a", 10, profile), undefined, "held until 10 only");
  memo.remember("b", resolution(100), log, profile);
  memo.remember("a", resolution(100), log, profile);
  assert.equal(memo.recall("a", 5, profile), undefined, "b took the one slot: a is new again");
  memo.remember("a", resolution(5000), log, profile);
  assert.equal(memo.recall("a", 5, profile), undefined, "too large to keep");
  memo.remember("a", resolution(100), { ...log, error: "blocklist unavailable: timeout" }, profile);
  assert.equal(
    memo.recall("a", 5, profile),
    undefined,
    "an answer given around a failure is not kept",
  );
  memo.remember("a", resolution(100, null), log, profile);
  assert.equal(memo.recall("a", 5, profile), undefined, "not marked reusable");
  assert.throws(() => new AnswerMemo({ slots: 3 }), RangeError);
});

Deno.test("a local answer is remembered until the records change", () => {
  const records = {
    current: new RecordStore(parseRecords(`${NAME} A 10.0.0.1\n`), 1),
    version: 0,
  };
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const memo = new AnswerMemo();
  memo.dependOn(records);
  const resolver = new Resolver({
    stages: [guardStage, localStage({ records }), () => Promise.reject(new Error("not local"))],
    queryTimeoutMs: 1000,
    log,
    memo,
  });
  const query = makeQuery(NAME, RType.A, { id: 0, edns: {} });
  const ask = () => resolver.resolve(query, CLIENT, undefined, KEY) as Resolution;
  assert.equal(ask().answer.source, "local");
  ask();
  const repeated = resolver.repeat(KEY, CLIENT);
  assert.deepEqual(decodeMessage(repeated!.bytes).answers[0].data, { address: "10.0.0.1" });
  assert.equal(log.recent().at(-1)!.source, "local");
  records.current = new RecordStore(parseRecords(`${NAME} A 10.0.0.2\n`), 2);
  records.version++;
  assert.equal(resolver.repeat(KEY, CLIENT), undefined, "reloaded");
  assert.deepEqual(decodeMessage(ask().bytes).answers[0].data, { address: "10.0.0.2" });
});
