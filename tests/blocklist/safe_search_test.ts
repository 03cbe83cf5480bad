/**
 * The safe-search stage with a fixture for the rest of the chain: each vendor's hosts answered
 * with a CNAME to its safe endpoint and the endpoint's records, TTLs capped at the smallest,
 * other types given the CNAME alone, the log's rule, profiles without safe search untouched,
 * and a blocked search engine still blocked (the blocklist stands first).
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { compose } from "../../pipeline/compose.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { plainProfile, type Profile } from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import type { Stage } from "../../pipeline/types.ts";
import { safeSearchStage } from "../../blocklist/safe_search.ts";
import { makeQuery } from "../support/dns_query.ts";
import { tableStage } from "../support/local_resolver.ts";
import { directoryOf } from "../support/profiles.ts";

const TABLE = {
  "www.google.com": ["192.0.2.1"],
  "forcesafesearch.google.com": ["216.239.38.120"],
  "restrict.youtube.com": ["216.239.38.120"],
  "strict.bing.com": ["204.79.197.220"],
  "safe.duckduckgo.com": ["52.142.124.215"],
};

const SAFE: Profile = { ...plainProfile("kids"), safeSearch: true };

async function setup(options: { blocked?: string[]; table?: Record<string, string[]> } = {}) {
  const asked: string[] = [];
  const table = tableStage(options.table ?? TABLE, 60);
  const noted: Stage = (ctx, next) => {
    asked.push(`${ctx.question.name}/${ctx.question.type}`);
    return table(ctx, next);
  };
  const blocklist = new MemoryBlocklist();
  await blocklist.load([{ name: "engines", block: options.blocked ?? [], allow: [] }]);
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const resolver = new Resolver({
    stages: [
      guardStage,
      blocklistStage({ blocklist, answer: { response: "nxdomain", ttl: 60 }, failMode: "open" }),
      safeSearchStage({ resolveRest: compose([noted], () => Promise.reject(new Error("end"))) }),
      noted,
    ],
    queryTimeoutMs: 1000,
    log,
    directory: directoryOf({ "192.0.2.7": SAFE }),
  });
  const ask = async (name: string, type: number = RType.A, address = "192.0.2.7") => {
    asked.length = 0;
    const raw = makeQuery(name, type, { id: 3, edns: {} });
    const { bytes, answer } = await resolver.resolve(raw, { address, door: "doh" });
    return { reply: decodeMessage(bytes), answer, entry: log.recent().at(-1)!, asked: [...asked] };
  };
  return { ask };
}

Deno.test("a search host is a CNAME to its vendor's safe endpoint, then the endpoint's records", async () => {
  const { ask } = await setup();
  const { reply, answer, entry, asked } = await ask("www.google.com");
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(reply.answers.map((r) => [r.name, r.type, r.data]), [
    ["www.google.com", RType.CNAME, { target: "forcesafesearch.google.com" }],
    ["forcesafesearch.google.com", RType.A, { address: "216.239.38.120" }],
  ]);
  assert.deepEqual(reply.answers.map((r) => r.ttl), [60, 60], "the smallest TTL");
  assert.equal(answer.ttl, 60);
  assert.deepEqual(asked, ["forcesafesearch.google.com/1"], "the endpoint, as a query of its own");
  assert.equal(entry.rule, "safe search: www.google.com → forcesafesearch.google.com");
  assert.equal(entry.name, "www.google.com");
  assert.equal(reply.questions[0].name, "www.google.com");
});

Deno.test("every vendor's hosts go to that vendor's endpoint", async () => {
  const { ask } = await setup();
  const cases: [string, string][] = [
    ["google.co.uk", "forcesafesearch.google.com"],
    ["www.google.de", "forcesafesearch.google.com"],
    ["www.google.com.br", "forcesafesearch.google.com"],
    ["www.youtube.com", "restrict.youtube.com"],
    ["m.youtube.com", "restrict.youtube.com"],
    ["youtubei.googleapis.com", "restrict.youtube.com"],
    ["youtube.googleapis.com", "restrict.youtube.com"],
    ["www.youtube-nocookie.com", "restrict.youtube.com"],
    ["bing.com", "strict.bing.com"],
    ["www.bing.com", "strict.bing.com"],
    ["duckduckgo.com", "safe.duckduckgo.com"],
    ["www.duckduckgo.com", "safe.duckduckgo.com"],
    ["start.duckduckgo.com", "safe.duckduckgo.com"],
  ];
  for (const [name, endpoint] of cases) {
    const { reply } = await ask(name);
    assert.deepEqual(reply.answers[0].data, { target: endpoint }, name);
    assert.equal(reply.answers[1]?.name, endpoint, name);
  }
});

Deno.test("other names of the vendors, and the endpoints themselves, are not rewritten", async () => {
  const { ask } = await setup();
  for (const name of ["mail.google.com", "google.example", "forcesafesearch.google.com"]) {
    const { entry, asked } = await ask(name);
    assert.equal(entry.rule, undefined, name);
    assert.deepEqual(asked, [`${name}/1`]);
  }
});

Deno.test("types other than A, AAAA and HTTPS get the CNAME alone; AAAA asks the endpoint", async () => {
  const { ask } = await setup();
  const txt = await ask("www.bing.com", RType.TXT);
  assert.deepEqual(txt.reply.answers.map((r) => r.type), [RType.CNAME]);
  assert.equal(txt.reply.answers[0].ttl, 300);
  assert.deepEqual(txt.asked, [], "nothing asked");
  const aaaa = await ask("www.bing.com", RType.AAAA);
  assert.deepEqual(aaaa.asked, ["strict.bing.com/28"]);
  assert.deepEqual(aaaa.reply.answers.map((r) => r.type), [RType.CNAME], "the fixture has no AAAA");
  const https = await ask("www.bing.com", RType.HTTPS);
  assert.deepEqual(https.asked, ["strict.bing.com/65"]);
});

Deno.test("an endpoint that does not exist is NXDOMAIN after the CNAME, its SOA kept", async () => {
  const table: Record<string, string[]> = { ...TABLE };
  delete table["restrict.youtube.com"];
  const { ask } = await setup({ table });
  const { reply, answer } = await ask("www.youtube.com");
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
  assert.deepEqual(reply.answers.map((r) => [r.type, r.data]), [
    [RType.CNAME, { target: "restrict.youtube.com" }],
  ]);
  assert.deepEqual(reply.authorities.map((r) => r.type), [RType.SOA]);
  assert.equal(answer.ttl, 60, "the SOA's negative TTL, the smallest");
  assert.equal(reply.answers[0].ttl, 60);
});

Deno.test("a profile without safe search gets the search host's own answer", async () => {
  const { ask } = await setup();
  const { reply, entry } = await ask("www.google.com", RType.A, "192.0.2.99");
  assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
  assert.equal(entry.rule, undefined);
});

Deno.test("a blocked search engine stays blocked under safe search", async () => {
  const { ask } = await setup({ blocked: ["bing.com"] });
  const { reply, answer, asked } = await ask("www.bing.com");
  assert.equal(answer.source, "blocked");
  assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
  assert.deepEqual(asked, []);
});
