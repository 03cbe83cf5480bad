/**
 * The TCP door in-process, around a real Resolver whose one stage answers every query itself:
 * the connection limit and the idle timeout, which the e2e tests cannot wait for cheaply.
 */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { listenTcp } from "../../servers/tcp.ts";
import { tcpClient } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";

const resolver = new Resolver({
  stages: [(ctx) => Promise.resolve(replyAnswer(ctx.query, {}, "local"))],
  queryTimeoutMs: 1000,
  log: createQueryLog({ toStdout: false, capacity: 0 }),
});

const door = (options: { maxConnections?: number; idleTimeoutMs?: number }) =>
  listenTcp({
    hostname: "127.0.0.1",
    port: 0,
    resolver,
    maxConnections: options.maxConnections ?? 10,
    idleTimeoutMs: options.idleTimeoutMs ?? 5000,
    maxInFlight: 10,
  });

Deno.test("the TCP door closes connections beyond its limit at once and serves the others", async () => {
  const tcp = door({ maxConnections: 2 });
  const clients = [];
  try {
    for (let i = 0; i < 3; i++) clients.push(await tcpClient(tcp.addr.port));
    assert.ok(await clients[2].closedByServer(), "the third connection is closed");
    await clients[0].send([makeQuery("a.example", RType.A, { id: 1 })]);
    const [reply] = await clients[0].receive(1);
    assert.equal(decodeMessage(reply).header.id, 1);
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
