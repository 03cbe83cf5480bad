/**
 * The classic doors of the real gateway under many queries at once: pipelined TCP answered as
 * each query finishes, the UDP rate limit engaging and releasing, and a SIGTERM in the middle
 * of hundreds of queries that loses none of them.
 */
import assert from "node:assert/strict";
import { decodeMessage, type Message, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort, tcpClient, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, fakeUdp } from "../support/fake_upstreams.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const name = (message: Message) => message.questions[0].name;

/** An upstream answering every A query with 192.0.2.1 after `delayMs(name)`. */
function slowUpstream(delayMs: (name: string) => number) {
  return fakeUdp((query, send) => {
    const wait = delayMs(decodeMessage(query).questions[0].name);
    setTimeout(() => send(addressReply(query, "192.0.2.1")), wait);
  });
}

Deno.test({
  name: "pipelined TCP queries written at once are all answered, matched by ID",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const gateway = await startGateway({
      env: { UPSTREAMS: `udp://127.0.0.1:${knot.port}`, TCP_PORT: "0" },
    });
    const client = await tcpClient(doorPort(gateway, "TCP"));
    try {
      const labels = ["www", "mail", "ns1", "alias", "multi", "big", "short", "nope"];
      const types = [RType.A, RType.TXT, RType.AAAA];
      const queries = Array.from(
        { length: 64 },
        (_, i) =>
          makeQuery(`${labels[i % labels.length]}.${TEST_ZONE}`, types[i % types.length], {
            id: 1000 + i,
          }),
      );
      await client.send(queries);
      const replies = (await client.receive(queries.length)).map((r) => decodeMessage(r));
      const byId = new Map(replies.map((reply) => [reply.header.id, reply]));
      assert.equal(byId.size, queries.length, "one answer per ID");
      for (const query of queries.map((q) => decodeMessage(q))) {
        const reply = byId.get(query.header.id);
        assert.ok(reply, `an answer for ID ${query.header.id}`);
        assert.deepEqual(reply.questions, query.questions);
        assert.equal(reply.header.truncated, false);
      }
      const big = replies.find((r) =>
        name(r) === `big.${TEST_ZONE}` && r.questions[0].type === RType.TXT
      );
      assert.equal(big?.answers.length, 8, "the big TXT set whole over TCP");
    } finally {
      client.close();
      await gateway.stop();
      await knot.stop();
    }
  },
});

Deno.test("a slow TCP query does not hold back the answers written after it", async () => {
  const upstream = slowUpstream((name) => (name.startsWith("slow") ? 400 : 0));
  const gateway = await startGateway({ env: { UPSTREAMS: upstream.url, TCP_PORT: "0" } });
  const client = await tcpClient(doorPort(gateway, "TCP"));
  try {
    await client.send(
      ["slow.example", "fast1.example", "fast2.example"].map((n, i) =>
        makeQuery(n, RType.A, { id: i + 1 })
      ),
    );
    const order = (await client.receive(3)).map((r) => name(decodeMessage(r)));
    assert.deepEqual(order.slice(0, 2).sort(), ["fast1.example", "fast2.example"]);
    assert.equal(order[2], "slow.example");
  } finally {
    client.close();
    await gateway.stop();
    upstream.close();
  }
});

Deno.test({
  name:
    "a UDP burst from one address gets answers, then TC=1, then silence, and is let back after refill",
  ...integration(["knotd"]),
  async fn() {
    await withKnotGateway({
      env: {
        UDP_PORT: "0",
        UDP_RATE: "5",
        UDP_BURST: "5",
      },
    }, async (gateway) => {
      const udp = doorPort(gateway, "UDP");
      const query = (id: number) => makeQuery(`www.${TEST_ZONE}`, RType.A, { id });
      const replies = (await udpExchange(udp, Array.from({ length: 20 }, (_, i) => query(i + 1))))
        .map((r) => decodeMessage(r));
      const full = replies.filter((r) => !r.header.truncated);
      const truncated = replies.filter((r) => r.header.truncated);
      assert.equal(full.length, 5, "the burst is answered");
      assert.ok(full.every((r) => r.answers.length === 2));
      assert.equal(truncated.length, 5, "then as many empty TC=1 answers");
      assert.ok(truncated.every((r) => r.answers.length === 0));
      assert.equal(replies.length, 10, "then silence");
      // Six tokens at 5 per second bring the client back from its debt.
      await new Promise((resolve) => setTimeout(resolve, 1300));
      const [after] = (await udpExchange(udp, [query(99)])).map((r) => decodeMessage(r));
      assert.equal(after?.header.truncated, false);
      assert.equal(after?.answers.length, 2);
    });
  },
});

Deno.test("SIGTERM with 250 queries in flight answers every one of them and exits 0", async () => {
  const upstream = slowUpstream(() => 600);
  const gateway = await startGateway({
    env: { UPSTREAMS: upstream.url, UDP_PORT: "0", TCP_PORT: "0", UDP_RATE: "0" },
  });
  const clients = await Promise.all(
    Array.from({ length: 4 }, () => tcpClient(doorPort(gateway, "TCP"))),
  );
  try {
    const batch = (c: number) =>
      Array.from({ length: 50 }, (_, i) => makeQuery(`q${c}-${i}.example`, RType.A, { id: i }));
    await Promise.all(clients.map((client, c) => client.send(batch(c))));
    const tcpReplies = clients.map((client) => client.receive(50, 10_000));
    const udpReplies = udpExchange(doorPort(gateway, "UDP"), batch(9), 1500);
    // Every query has reached the upstream (distinct names: no coalescing), none answered yet.
    while (upstream.received < 250) await new Promise((resolve) => setTimeout(resolve, 10));
    const exit = gateway.stop();
    for (const [c, replies] of (await Promise.all(tcpReplies)).entries()) {
      const names = replies.map((r) => name(decodeMessage(r))).sort();
      assert.deepEqual(names, batch(c).map((q) => name(decodeMessage(q))).sort());
      assert.ok(replies.every((r) => decodeMessage(r).answers.length === 1));
    }
    assert.equal((await udpReplies).length, 50, "every UDP query answered too");
    assert.ok(await clients[0].closedByServer(), "then the connections are closed");
    assert.equal(await exit, 0);
  } finally {
    for (const client of clients) client.close();
    await gateway.stop();
    upstream.close();
  }
});
