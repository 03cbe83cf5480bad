/**
 * Cache poisoning through extra records (the Kaminsky-style "additional section" trick): an
 * upstream reply for one name that carries records for other names, in any section. Those
 * records are only ever served as part of the answer to the question they came with; a query
 * for the other name is asked upstream as if nothing had been seen.
 */
import assert from "node:assert/strict";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { cacheStage } from "../../cache/stage.ts";
import { decodeMessage, RClass, type ResourceRecord, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import type { Stage } from "../../pipeline/types.ts";
import { makeQuery } from "../support/dns_query.ts";

const a = (name: string, address: string): ResourceRecord => ({
  name,
  type: RType.A,
  class: RClass.IN,
  ttl: 3600,
  data: { address },
});

Deno.test("records for other names in an upstream reply never answer those names", async () => {
  const asked: string[] = [];
  // An upstream (or a forger who won a race) answering bait.example with extra records.
  const poisoner: Stage = (ctx) => {
    asked.push(ctx.question.name);
    if (ctx.question.name === "bait.example") {
      return Promise.resolve(replyAnswer(ctx.query, {
        answers: [a("bait.example", "192.0.2.1"), a("victim.example", "203.0.113.66")],
        authorities: [a("victim.example", "203.0.113.67")],
        additionals: [a("victim.example", "203.0.113.68"), a("www.victim.example", "203.0.113.69")],
      }, "upstream"));
    }
    return Promise.resolve(
      replyAnswer(ctx.query, { answers: [a(ctx.question.name, "198.51.100.7")] }, "upstream"),
    );
  };
  const cache = new AnswerCache();
  const stage = cacheStage({
    cache,
    prefetchHits: 0,
    refreshTimeoutMs: 1000,
    refresh: async (ctx) => await poisoner(ctx, () => Promise.reject()),
  });
  const resolver = new Resolver({
    stages: [guardStage, stage, poisoner],
    queryTimeoutMs: 1000,
    log: createQueryLog({ toStdout: false, capacity: 10 }),
  });
  const ask = async (name: string) =>
    decodeMessage(
      (await resolver.resolve(makeQuery(name, RType.A), { address: "", door: "doh" })).bytes,
    );

  await ask("bait.example");
  for (const name of ["victim.example", "www.victim.example"]) {
    const reply = await ask(name);
    assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "198.51.100.7" }], name);
  }
  assert.deepEqual(asked, ["bait.example", "victim.example", "www.victim.example"]);
  assert.equal(cache.stats().entries, 3, "one entry per question asked, none for the extras");
});
