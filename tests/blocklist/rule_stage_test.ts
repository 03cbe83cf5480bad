/**
 * Rules with modifiers and regexes through the blocklist stage in a real Resolver: EDE 15 and
 * the query log name the rule as written, `$dnstype` and `$client` see the query's type and
 * client, `$dnsrewrite` answers (an address, an rcode, a CNAME followed through the stages
 * after), and with `$client` rules loaded no answer is marked for reuse by another request.
 */
import assert from "node:assert/strict";
import { decodeMessage, EdeCode, Rcode, RType } from "../../dns/mod.ts";
import type { LoadedList } from "../../blocklist/blocklist.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { loadRuleParser, parseList } from "../../blocklist/parse.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { WHILE_STATE_HOLDS } from "../../pipeline/answer_memo.ts";
import { answerFromBytes } from "../../pipeline/answer_builders.ts";
import type { ClientInfo } from "../../pipeline/types.ts";
import { makeQuery } from "../support/dns_query.ts";
import { extendedError } from "../support/ede.ts";
import { localResolver, tableStage } from "../support/local_resolver.ts";

// Adblock lines off the fast path need the rule parser, loaded as a sync loads it.
await loadRuleParser();

const TABLE = { "target.example": ["192.0.2.80"], "free.example": ["192.0.2.81"] };

function list(name: string, lines: string[]): LoadedList {
  const parsed = parseList(lines.join("\n"));
  assert.equal(parsed.invalid.count, 0, JSON.stringify(parsed.invalid.examples));
  return { name, block: parsed.block, allow: parsed.allow, rules: parsed.rules };
}

async function setup(lines: string[]) {
  const blocklist = new MemoryBlocklist();
  await blocklist.load([list("ads", lines)]);
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const table = tableStage(TABLE);
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 120 },
    failMode: "open",
    resolveRest: (ctx) => table(ctx, () => Promise.reject(new Error("past the table"))),
  });
  const resolver = localResolver(TABLE, { extraStages: [stage], log });
  const ask = async (name: string, type: number = RType.A, client: Partial<ClientInfo> = {}) => {
    const raw = makeQuery(name, type, { id: 7, edns: {} });
    const { bytes, answer } = await resolver.resolve(raw, {
      address: "192.0.2.1",
      door: "udp",
      ...client,
    });
    return { reply: decodeMessage(bytes), answer, logged: log.recent().at(-1)! };
  };
  return { ask, stage, blocklist };
}

Deno.test("a regex rule's block names the rule as written in EDE 15 and the query log", async () => {
  const { ask } = await setup(["/^ad[0-9]+\\./"]);
  const { reply, logged } = await ask("ad7.example");
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
  assert.deepEqual(extendedError(reply), {
    infoCode: EdeCode.BLOCKED,
    text: "Blocked (ads: /^ad[0-9]+\\./)",
  });
  assert.equal(logged.rule, "ads: /^ad[0-9]+\\./");
});

Deno.test("$dnstype sees the query's type: AAAA is blocked, A is answered", async () => {
  const { ask } = await setup(["||target.example^$dnstype=AAAA"]);
  const six = await ask("target.example", RType.AAAA);
  assert.equal(six.reply.header.rcode, Rcode.NXDOMAIN);
  assert.equal(six.logged.rule, "ads: ||target.example^$dnstype=AAAA");
  const four = await ask("target.example", RType.A);
  assert.equal(four.reply.header.rcode, Rcode.NOERROR);
  assert.equal(four.reply.answers.length, 1);
});

Deno.test("$client sees the client's address and ClientID", async () => {
  const { ask } = await setup(["||target.example^$client=10.0.0.0/8|kids-tablet"]);
  assert.equal((await ask("target.example")).reply.header.rcode, Rcode.NOERROR);
  const ranged = await ask("target.example", RType.A, { address: "10.1.2.3" });
  assert.equal(ranged.reply.header.rcode, Rcode.NXDOMAIN);
  const named = await ask("target.example", RType.A, { clientId: "kids-tablet" });
  assert.equal(named.reply.header.rcode, Rcode.NXDOMAIN);
});

Deno.test("$dnsrewrite to an address answers it for its type and NODATA for the others", async () => {
  const { ask } = await setup(["||home.example^$dnsrewrite=192.0.2.55"]);
  const four = await ask("home.example", RType.A);
  assert.equal(four.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(four.reply.answers.map((record) => [record.type, record.ttl, record.data]), [
    [RType.A, 120, { address: "192.0.2.55" }],
  ]);
  assert.equal(four.logged.rule, "ads: ||home.example^$dnsrewrite=192.0.2.55");
  const six = await ask("home.example", RType.AAAA);
  assert.equal(six.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(six.reply.answers, []);
  assert.equal(six.reply.authorities[0].type, RType.SOA);
});

Deno.test("$dnsrewrite rcode keywords answer NXDOMAIN, REFUSED, SERVFAIL and NOERROR", async () => {
  const { ask } = await setup([
    "||nx.example^$dnsrewrite=NXDOMAIN",
    "||refused.example^$dnsrewrite=REFUSED",
    "||fail.example^$dnsrewrite=SERVFAIL;;",
    "||empty.example^$dnsrewrite=NOERROR",
  ]);
  assert.equal((await ask("nx.example")).reply.header.rcode, Rcode.NXDOMAIN);
  assert.equal((await ask("refused.example")).reply.header.rcode, Rcode.REFUSED);
  const failed = await ask("fail.example");
  assert.equal(failed.reply.header.rcode, Rcode.SERVFAIL);
  assert.equal(
    extendedError(failed.reply)?.text,
    "Blocked (ads: ||fail.example^$dnsrewrite=SERVFAIL;;)",
  );
  const empty = await ask("empty.example");
  assert.equal(empty.reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(empty.reply.answers, []);
});

Deno.test("$dnsrewrite to a name answers the CNAME and the target's records from the stages after", async () => {
  const { ask } = await setup(["||alias.example^$dnsrewrite=target.example"]);
  const { reply } = await ask("alias.example");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(reply.answers.map((record) => [record.name, record.type, record.data]), [
    ["alias.example", RType.CNAME, { target: "target.example" }],
    ["target.example", RType.A, { address: "192.0.2.80" }],
  ]);
  assert.ok(reply.answers.every((record) => record.ttl <= 120), "capped at BLOCK_TTL");
});

Deno.test("with a $client rule loaded, answers passed on are not marked for reuse; without, they are", async () => {
  const kept = async (lines: string[]) => {
    const { stage } = await setup(lines);
    const raw = makeQuery("free.example", RType.A, { id: 1 });
    const ctx = {
      raw,
      head: { question: { name: "free.example", type: RType.A, class: 1 } },
      question: { name: "free.example", type: RType.A, class: 1 },
      query: decodeMessage(raw),
      client: { address: "192.0.2.1", door: "doh" },
      identity: { profile: { name: "default", block: [], allow: [], safeSearch: false } },
      log: {},
    } as unknown as Parameters<typeof stage>[0];
    const upstream = { ...answerFromBytes(raw, "cache"), reusable: WHILE_STATE_HOLDS };
    const answer = await stage(ctx, () => upstream);
    return answer.reusable;
  };
  assert.equal(await kept(["||ads.example^$dnstype=AAAA"]), WHILE_STATE_HOLDS);
  assert.equal(await kept(["||ads.example^$client=10.0.0.1"]), undefined);
});
