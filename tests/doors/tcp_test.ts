/**
 * The TCP door in-process, around a real Resolver whose one stage answers every query itself:
 * the connection limit and the idle timeout, which the e2e tests cannot wait for cheaply.
 */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { listenTcp } from "../../doors/tcp.ts";
import { tcpClient } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";

/** Queries for names under slow.example wait until `release()`; the rest are answered at once. */
let gate = Promise.withResolvers<void>();
const release = () => {
  gate.resolve();
  gate = Promise.withResolvers<void>();
};
const resolver = new Resolver({
  stages: [async (ctx) => {
    if (ctx.question.name.endsWith("slow.example")) await gate.promise;
    return replyAnswer(ctx.query, {}, "local");
  }],
  queryTimeoutMs: 1000,
  log: createQueryLog({ toStdout: false, capacity: 0 }),
});

const door = (
  options: { maxConnections?: number; maxPerClient?: number; idleTimeoutMs?: number },
) =>
  listenTcp({
    hostname: "127.0.0.1",
    port: 0,
    resolver,
    maxConnections: options.maxConnections ?? 10,
    maxPerClient: options.maxPerClient ?? 10,
    idleTimeoutMs: options.idleTimeoutMs ?? 5000,
    maxInFlight: 10,
  });

async function answered(client: Awaited<ReturnType<typeof tcpClient>>, id: number, name = "a") {
  await client.send([makeQuery(`${name}.example`, RType.A, { id })]);
  const [reply] = await client.receive(1);
  assert.equal(decodeMessage(reply).header.id, id);
}

Deno.test("a full TCP door closes the connection idle the longest to take a newcomer", async () => {
  const tcp = door({ maxConnections: 2 });
  const clients = [];
  try {
    for (let i = 0; i < 2; i++) clients.push(await tcpClient(tcp.addr.port));
    await answered(clients[0], 1);
    clients.push(await tcpClient(tcp.addr.port));
    assert.ok(await clients[1].closedByServer(), "the one idle the longest is closed");
    await answered(clients[2], 2);
    await answered(clients[0], 3);
  } finally {
    clients.forEach((client) => client.close());
    await tcp.close();
  }
});

Deno.test("a TCP door full of busy connections closes a newcomer at once", async () => {
  const tcp = door({ maxConnections: 2 });
  const clients = [];
  try {
    for (let i = 0; i < 2; i++) clients.push(await tcpClient(tcp.addr.port));
    for (const [i, client] of clients.entries()) {
      await client.send([makeQuery("q.slow.example", RType.A, { id: 10 + i })]);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    clients.push(await tcpClient(tcp.addr.port));
    assert.ok(await clients[2].closedByServer(), "the newcomer is closed");
    release();
    for (const [i, client] of clients.slice(0, 2).entries()) {
      const [reply] = await client.receive(1);
      assert.equal(decodeMessage(reply).header.id, 10 + i);
    }
  } finally {
    release();
    clients.forEach((client) => client.close());
    await tcp.close();
  }
});

Deno.test("the TCP door closes a client's connections beyond its share at once", async () => {
  const tcp = door({ maxConnections: 10, maxPerClient: 2 });
  const clients = [];
  try {
    for (let i = 0; i < 3; i++) clients.push(await tcpClient(tcp.addr.port));
    assert.ok(await clients[2].closedByServer(), "the third from 127.0.0.1 is closed");
    await answered(clients[0], 4);
    await answered(clients[1], 5);
  } finally {
    clients.forEach((client) => client.close());
    await tcp.close();
  }
});

Deno.test("the TCP door closes a connection idle for its timeout", async () => {
  const tcp = door({ idleTimeoutMs: 100 });
  const client = await tcpClient(tcp.addr.port);
  try {
    await client.send([makeQuery("a.example", RType.A, { id: 2 })]);
    await client.receive(1);
    const started = Date.now();
    assert.ok(await client.closedByServer());
    const waited = Date.now() - started;
    assert.ok(waited >= 80 && waited < 1000, `closed after ${waited} ms`);
  } finally {
    client.close();
    await tcp.close();
  }
});
