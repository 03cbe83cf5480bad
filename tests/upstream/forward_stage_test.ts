import assert from "node:assert/strict";
import {
  decodeMessage,
  EdeCode,
  EdnsOptionCode,
  encodeReply,
  findOption,
  Rcode,
  RType,
} from "../../dns/mod.ts";
import { decodeExtendedError } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { forwardStage } from "../../upstream/stage.ts";
import { upstreamQuery } from "../../upstream/upstream_query.ts";
import { makeQuery, queryMessage } from "../support/dns_query.ts";

const client = { address: "", door: "doh" as const };
const ecs = { code: EdnsOptionCode.CLIENT_SUBNET, data: new Uint8Array([0, 1, 24, 0, 192, 0, 2]) };
const cookie = { code: EdnsOptionCode.COOKIE, data: new Uint8Array(8) };
const padding = { code: EdnsOptionCode.PADDING, data: new Uint8Array(10) };
const nsid = { code: 3, data: new Uint8Array() };

Deno.test("upstreamQuery() drops the client's cookie, padding and client subnet", () => {
  const query = queryMessage("a.example", RType.A, {
    id: 99,
    edns: { options: [ecs, cookie, padding, nsid], dnssecOk: true, udpSize: 4096 },
  });
  const upstream = upstreamQuery(query, false);
  assert.deepEqual(upstream.edns?.options, [nsid]);
  assert.equal(upstream.edns?.dnssecOk, true);
  assert.equal(upstream.edns?.udpSize, 1232);
  assert.equal(upstream.header.recursionDesired, true);
  assert.deepEqual(upstream.questions, query.questions);
});

Deno.test("upstreamQuery() passes the client subnet on when configured", () => {
  const query = queryMessage("a.example", RType.A, { edns: { options: [ecs, cookie] } });
  assert.deepEqual(upstreamQuery(query, true).edns?.options, [ecs]);
});

Deno.test("upstreamQuery() adds EDNS for a client that sent none", () => {
  const upstream = upstreamQuery(queryMessage("a.example", RType.A), false);
  assert.equal(upstream.edns?.udpSize, 1232);
  assert.equal(upstream.edns?.dnssecOk, false);
});

function resolverWith(resolve: (query: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>) {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const pool = {
    resolve: async (query: Uint8Array, signal: AbortSignal) => ({
      bytes: await resolve(query, signal),
      upstream: "udp://192.0.2.53:53",
      attempts: 1,
    }),
  };
  const stages = [guardStage, forwardStage({ pool, forwardClientSubnet: false })];
  return { log, resolver: new Resolver({ stages, queryTimeoutMs: 500, log }) };
}

Deno.test("the forward stage returns the upstream's answer and logs which upstream", async () => {
  const { resolver, log } = resolverWith((query) =>
    Promise.resolve(
      encodeReply(decodeMessage(query), {
        answers: [{
          name: "a.example",
          type: RType.A,
          class: 1,
          ttl: 60,
          data: { address: "192.0.2.1" },
        }],
      }),
    )
  );
  const { bytes, answer } = await resolver.resolve(
    makeQuery("a.example", RType.A, { id: 5 }),
    client,
  );
  const reply = decodeMessage(bytes);
  assert.equal(reply.header.id, 5);
  assert.equal(reply.answers.length, 1);
  assert.equal(answer.ttl, 60);
  assert.equal(log.recent()[0].upstream, "udp://192.0.2.53:53");
});

Deno.test("the forward stage answers SERVFAIL with EDE 22 when the pool gives up", async () => {
  const { resolver, log } = resolverWith(() =>
    Promise.reject(new Error("all upstreams failed: x"))
  );
  const query = makeQuery("a.example", RType.A, { edns: {} });
  const reply = decodeMessage((await resolver.resolve(query, client)).bytes);
  assert.equal(reply.header.rcode, Rcode.SERVFAIL);
  const ede = findOption(reply.edns!, EdnsOptionCode.EXTENDED_ERROR)!;
  assert.equal(decodeExtendedError(ede.data).infoCode, EdeCode.NO_REACHABLE_AUTHORITY);
  assert.equal(log.recent()[0].error, "all upstreams failed: x");
});

Deno.test("the forward stage reads a TTL with its top bit set as 0 (RFC 2181 §8)", async () => {
  const record = (ttl: number, address: string) => ({
    name: "a.example",
    type: RType.A,
    class: 1,
    ttl,
    data: { address },
  });
  const { resolver } = resolverWith((query) =>
    Promise.resolve(
      encodeReply(decodeMessage(query), {
        answers: [record(0xffffffff, "192.0.2.1"), record(2 ** 31, "192.0.2.2")],
        additionals: [record(2 ** 31 - 1, "192.0.2.3")],
      }),
    )
  );
  const { bytes, answer } = await resolver.resolve(makeQuery("a.example", RType.A), client);
  const reply = decodeMessage(bytes);
  assert.deepEqual(reply.answers.map((r) => r.ttl), [0, 0]);
  assert.deepEqual(reply.additionals.map((r) => r.ttl), [2 ** 31 - 1]);
  assert.equal(answer.ttl, 0);
});
