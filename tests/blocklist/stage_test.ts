/**
 * The blocklist stage inside a real Resolver, in front of the table stage: each
 * BLOCK_RESPONSE shape, EDE 15 naming the list and entry, subdomains, allow entries winning,
 * the query log's rule, and a failing store answered open or closed.
 */
import assert from "node:assert/strict";
import { decodeMessage, EdeCode, Rcode, RType, type SoaData } from "../../dns/mod.ts";
import type { BlockResponse } from "../../blocklist/block_answer.ts";
import type { Blocklist } from "../../blocklist/blocklist.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage, type BlocklistStats, type FailMode } from "../../blocklist/stage.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { StoreError } from "../../store/errors.ts";
import { makeQuery } from "../support/dns_query.ts";
import { extendedError } from "../support/ede.ts";
import { localResolver } from "../support/local_resolver.ts";

const TABLE = { "ads.example": ["192.0.2.9"], "good.ads.example": ["192.0.2.10"] };

async function setup(
  response: BlockResponse = "nxdomain",
  options: { blocklist?: Blocklist; failMode?: FailMode } = {},
) {
  const blocklist = options.blocklist ?? new MemoryBlocklist();
  await blocklist.load([{
    name: "ads",
    block: ["ads.example", "*.wild.example", "tracker.test"],
    allow: ["good.ads.example"],
  }]);
  const stats: BlocklistStats = { blocked: 0, allowed: 0, errors: 0 };
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const stage = blocklistStage({
    blocklist,
    answer: { response, ttl: 120 },
    failMode: options.failMode ?? "open",
    stats,
  });
  const resolver = localResolver(TABLE, { extraStages: [stage], log });
  const ask = async (name: string, type: number = RType.A, edns = true) => {
    const raw = makeQuery(name, type, { id: 0x1234, edns: edns ? {} : undefined });
    const { bytes, answer } = await resolver.resolve(raw, { address: "", door: "doh" });
    return { reply: decodeMessage(bytes), source: answer.source, ttl: answer.ttl };
  };
  return { ask, stats, log, resolver };
}

const ede = extendedError;

Deno.test("a listed name gets NXDOMAIN with an SOA for its entry and EDE 15 naming the list", async () => {
  const { ask, stats, log } = await setup();
  const { reply, source, ttl } = await ask("ads.example");
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
  assert.equal(reply.header.id, 0x1234);
  assert.equal(source, "blocked");
  assert.deepEqual(reply.answers, []);
  assert.equal(reply.authorities.length, 1);
  const soa = reply.authorities[0];
  assert.equal(soa.type, RType.SOA);
  assert.equal(soa.name, "ads.example");
  assert.equal(soa.ttl, 120);
  assert.equal((soa.data as SoaData).minimum, 120);
  assert.equal(ttl, 120, "clients may cache the block for BLOCK_TTL");
  assert.deepEqual(ede(reply), { infoCode: EdeCode.BLOCKED, text: "Blocked (ads: ads.example)" });
  assert.equal(stats.blocked, 1);
  assert.equal(log.recent()[0].rule, "ads: ads.example");
});

Deno.test("subdomains of an entry are blocked too, at any depth", async () => {
  const { ask } = await setup();
  for (const name of ["x.ads.example", "a.b.c.ads.example", "cdn.tracker.test"]) {
    const { reply } = await ask(name);
    assert.equal(reply.header.rcode, Rcode.NXDOMAIN, name);
    assert.match(ede(reply)?.text ?? "", /^Blocked \(ads: (ads\.example|tracker\.test)\)$/);
  }
  const { reply } = await ask("notads.example");
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN, "the table has no such name either");
  assert.equal(ede(reply), undefined, "…but it was not blocked");
});

Deno.test("a wildcard entry blocks subdomains but not the name itself", async () => {
  const { ask } = await setup();
  assert.equal(ede((await ask("x.wild.example")).reply)?.text, "Blocked (ads: *.wild.example)");
  assert.equal(ede((await ask("wild.example")).reply), undefined);
});

Deno.test("an allow entry wins over the block entry of its parent", async () => {
  const { ask, stats } = await setup();
  const { reply, source } = await ask("good.ads.example");
  assert.equal(source, "upstream");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.equal(reply.answers.length, 1);
  assert.equal(stats.allowed, 1);
});

Deno.test("BLOCK_RESPONSE=null answers 0.0.0.0 and :: and NODATA for other types", async () => {
  const { ask } = await setup("null");
  const a = (await ask("ads.example", RType.A)).reply;
  assert.equal(a.header.rcode, Rcode.NOERROR);
  assert.deepEqual(a.answers.map((r) => [r.type, r.ttl, r.data]), [
    [RType.A, 120, { address: "0.0.0.0" }],
  ]);
  const aaaa = (await ask("ads.example", RType.AAAA)).reply;
  assert.deepEqual(aaaa.answers.map((r) => r.data), [{ address: "::" }]);
  const mx = (await ask("ads.example", RType.MX)).reply;
  assert.equal(mx.header.rcode, Rcode.NOERROR);
  assert.deepEqual(mx.answers, []);
  assert.equal(mx.authorities[0].type, RType.SOA);
  assert.equal(ede(mx)?.infoCode, EdeCode.BLOCKED);
});

Deno.test("BLOCK_RESPONSE=nodata answers NOERROR, no records, an SOA", async () => {
  const { ask } = await setup("nodata");
  const { reply, ttl } = await ask("x.ads.example");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(reply.answers, []);
  assert.equal(reply.authorities[0].name, "ads.example");
  assert.equal(ttl, 120);
});

Deno.test("BLOCK_RESPONSE=refused answers REFUSED with EDE 15", async () => {
  const { ask } = await setup("refused");
  const { reply, ttl } = await ask("ads.example");
  assert.equal(reply.header.rcode, Rcode.REFUSED);
  assert.deepEqual(reply.authorities, []);
  assert.equal(ede(reply)?.infoCode, EdeCode.BLOCKED);
  assert.equal(ttl, undefined, "not cacheable over HTTP");
});

Deno.test("a client without EDNS gets the block answer without OPT (no EDE)", async () => {
  const { ask } = await setup();
  const { reply } = await ask("ads.example", RType.A, false);
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
  assert.equal(reply.edns, undefined);
});

/** A store whose every decision fails the way Redis does when it hangs. */
function failingBlocklist(): Blocklist {
  return {
    description: "failing",
    version: 0,
    decide: () => Promise.reject(new StoreError("redis SMISMEMBER (pipeline) timed out")),
    load: () => Promise.resolve(),
    edit: () => Promise.resolve(0),
    customEntries: () => Promise.resolve({ block: [], allow: [] }),
    summary: () => Promise.resolve([]),
    close: () => {},
  };
}

Deno.test("a failing store with REDIS_FAIL=open answers unfiltered and says so in the log", async () => {
  const { ask, stats, log } = await setup("nxdomain", { blocklist: failingBlocklist() });
  const { reply, source } = await ask("ads.example");
  assert.equal(source, "upstream");
  assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.9" }]);
  assert.equal(stats.errors, 1);
  assert.match(log.recent()[0].error ?? "", /^blocklist unavailable: redis SMISMEMBER/);
});

Deno.test("a store that fails at once (a throw, not a rejection) is answered per REDIS_FAIL too", async () => {
  const throwing: Blocklist = {
    ...failingBlocklist(),
    decide: () => {
      throw new StoreError("redis connection closed");
    },
  };
  for (const failMode of ["open", "closed"] as const) {
    const { ask, stats } = await setup("nxdomain", { blocklist: throwing, failMode });
    const { reply } = await ask("ads.example");
    assert.equal(reply.header.rcode, failMode === "open" ? Rcode.NOERROR : Rcode.SERVFAIL);
    assert.equal(stats.errors, 1);
  }
});

Deno.test("with the memory store a blocked name is answered at once; a waiting store still works", async () => {
  const { resolver } = await setup();
  const raw = makeQuery("ads.example", RType.A, { id: 9 });
  const now = resolver.resolve(raw, { address: "", door: "doh" });
  assert.ok(!(now instanceof Promise), "the memory store decides without a promise");
  assert.equal(now.answer.source, "blocked");
  const memory = new MemoryBlocklist();
  const waiting: Blocklist = {
    ...failingBlocklist(),
    decide: (name) => Promise.resolve(memory.decide(name)),
  };
  const { ask } = await setup("nxdomain", { blocklist: waiting });
  await memory.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
  assert.equal((await ask("ads.example")).source, "blocked");
  assert.equal((await ask("good.example")).reply.header.rcode, Rcode.NXDOMAIN);
});

Deno.test("a failing store with REDIS_FAIL=closed answers SERVFAIL with EDE 14", async () => {
  const failMode = "closed";
  const { ask, stats } = await setup("nxdomain", { blocklist: failingBlocklist(), failMode });
  const { reply } = await ask("unlisted.example");
  assert.equal(reply.header.rcode, Rcode.SERVFAIL);
  assert.equal(ede(reply)?.infoCode, EdeCode.NOT_READY);
  assert.equal(stats.errors, 1);
});

Deno.test("a repeated blocked question gets the answer built for it before, finished per client", async () => {
  const { ask, stats } = await setup();
  const first = await ask("ads.example");
  const again = await ask("ads.example");
  assert.deepEqual(again.reply, first.reply);
  // A client without EDNS gets no OPT (so no EDE); an EDNS client after it still gets EDE 15.
  const plain = await ask("x.ads.example", RType.A, false);
  assert.equal(plain.reply.edns, undefined);
  assert.equal(plain.reply.header.rcode, Rcode.NXDOMAIN);
  const withEdns = await ask("x.ads.example");
  assert.equal(ede(withEdns.reply)?.infoCode, EdeCode.BLOCKED);
  // Another type and another rule are other answers.
  const aaaa = await ask("ads.example", RType.AAAA);
  assert.equal(aaaa.reply.questions[0].type, RType.AAAA);
  const other = await ask("tracker.test");
  assert.equal(other.reply.authorities[0].name, "tracker.test");
  assert.equal(stats.blocked, 6);
});
