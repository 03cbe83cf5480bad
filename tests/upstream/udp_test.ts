/**
 * The UDP transport against a real knot, and against fakes that spoof, stay silent or
 * answer from the wrong port (RFC 5452): only the real reply may be accepted.
 */
import assert from "node:assert/strict";
import { decodeMessage, peekQuestion, RType } from "../../dns/mod.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { createTransport } from "../../upstream/create.ts";
import { PORT_LIFETIME_MS, PORT_USES, UdpTransport } from "../../upstream/udp.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, fakeTcp, fakeUdp, replyTo } from "../support/fake_upstreams.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const udp = (url: string) => createTransport(parseUpstreamUrl(url));

Deno.test({
  name: "UDP transport gets knot's answer, with a fresh random ID per query",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const transport = udp(`udp://127.0.0.1:${knot.port}`);
    try {
      const ids = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const reply = await transport.query(
          makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 1234 }),
          new Deadline(2000),
        );
        const message = decodeMessage(reply);
        assert.equal(message.header.rcode, 0);
        assert.deepEqual(message.answers.map((r) => r.data), [
          { address: "192.0.2.1" },
          { address: "192.0.2.2" },
        ]);
        ids.add(message.header.id);
      }
      assert.ok(!ids.has(1234), "the client's ID is never sent upstream");
      assert.ok(ids.size >= 18, `IDs should be random, got ${ids.size} distinct of 20`);
    } finally {
      transport.close();
      await knot.stop();
    }
  },
});

Deno.test({
  name: "UDP transport sends by sendto(2) directly where FFI is granted, answered as through Deno",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const url = `udp://127.0.0.1:${knot.port}`;
    const target = { name: url, host: "127.0.0.1", port: knot.port };
    const tcp = () => createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${knot.port}`));
    const direct = new UdpTransport(target, tcp());
    const plain = new UdpTransport(target, tcp(), { direct: false });
    try {
      const names = ["www", "mail", "nothing-here"].map((label) => `${label}.${TEST_ZONE}`);
      for (let round = 0; round < 30; round++) {
        for (const name of names) {
          const answers = await Promise.all([direct, plain].map(async (transport) => {
            const reply = decodeMessage(
              await transport.query(makeQuery(name, RType.A), new Deadline(2000)),
            );
            return { rcode: reply.header.rcode, data: reply.answers.map((r) => r.data) };
          }));
          assert.deepEqual(answers[0], answers[1], name);
        }
      }
      // 90 queries over several sockets (PORT_USES each), every one of them found.
      assert.equal(direct.sentDirect, 90);
      assert.equal(plain.sentDirect, 0);
    } finally {
      direct.close();
      plain.close();
      await knot.stop();
    }
  },
});

Deno.test({
  name: "UDP transport retries over TCP when the reply is truncated",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const transport = udp(`udp://127.0.0.1:${knot.port}`);
    try {
      const query = makeQuery(`big.${TEST_ZONE}`, RType.TXT, { edns: { udpSize: 1232 } });
      const reply = decodeMessage(await transport.query(query, new Deadline(2000)));
      assert.equal(reply.header.truncated, false);
      assert.equal(reply.answers.length, 8);
    } finally {
      transport.close();
      await knot.stop();
    }
  },
});

Deno.test("UDP transport ignores wrong IDs, questions, ports and addresses, takes the real reply", async () => {
  const otherPort = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const forger: { socket?: Deno.DatagramConn } = {};
  const server = fakeUdp((query, send, peer) => {
    const id = peekQuestion(query).id;
    const wrongId = addressReply(query, "6.6.6.6");
    wrongId[0] ^= 0xff;
    send(wrongId);
    send(addressReply(makeQuery("other.example", RType.A, { id }), "6.6.6.7"));
    send(addressReply(query, "6.6.6.8"), otherPort);
    // The upstream's own port, from another address: a forger on the path to loopback.
    void forger.socket?.send(addressReply(query, "6.6.6.9"), peer).catch(() => {});
    setTimeout(() => send(addressReply(query, "192.0.2.1")), 20);
  });
  const otherAddress = forger.socket = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.2",
    port: server.port,
  });
  const transport = udp(server.url);
  try {
    const reply = decodeMessage(
      await transport.query(makeQuery("a.example", RType.A), new Deadline(2000)),
    );
    assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
  } finally {
    transport.close();
    server.close();
    otherPort.close();
    otherAddress.close();
  }
});

Deno.test("UDP transport sends queries under way at once from different source ports", async () => {
  const ports = new Set<number>();
  const held: (() => void)[] = [];
  const server = fakeUdp((query, send, peer) => {
    ports.add(peer.port);
    held.push(() => send(addressReply(query, "192.0.2.1")));
    // Answer only once all 20 are waiting, so none could have freed its socket for another.
    if (held.length === 20) held.forEach((answer) => answer());
  });
  const transport = udp(server.url);
  try {
    await Promise.all(
      Array.from(
        { length: 20 },
        () => transport.query(makeQuery("a.example", RType.A), new Deadline(2000)),
      ),
    );
    assert.equal(ports.size, 20);
  } finally {
    transport.close();
    server.close();
  }
});

Deno.test("UDP transport reuses a source port for at most PORT_USES queries and PORT_LIFETIME_MS", async () => {
  const seen: number[] = [];
  const server = fakeUdp((query, send, peer) => {
    seen.push(peer.port);
    send(addressReply(query, "192.0.2.1"));
  });
  let now = 0;
  const transport = new UdpTransport(
    { name: server.url, host: "127.0.0.1", port: server.port },
    createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${server.port}`)),
    { now: () => now },
  );
  const ask = () => transport.query(makeQuery("a.example", RType.A), new Deadline(1000));
  try {
    for (let i = 0; i < PORT_USES + 1; i++) await ask();
    assert.equal(new Set(seen.slice(0, PORT_USES)).size, 1, "one port, one query after another");
    assert.notEqual(seen[PORT_USES], seen[0], "a new port after PORT_USES queries");
    now += PORT_LIFETIME_MS;
    await ask();
    assert.notEqual(seen.at(-1), seen.at(-2), "a new port once the last one is too old");
  } finally {
    transport.close();
    server.close();
  }
});

Deno.test("UDP transport never reuses the source port of a query that got no reply", async () => {
  const seen: number[] = [];
  let silent = true;
  const server = fakeUdp((query, send, peer) => {
    seen.push(peer.port);
    if (!silent) send(addressReply(query, "192.0.2.1"));
  });
  const transport = udp(server.url);
  try {
    await assert.rejects(
      transport.query(makeQuery("a.example", RType.A), new Deadline(100)),
      UpstreamError,
    );
    silent = false;
    await transport.query(makeQuery("a.example", RType.A), new Deadline(1000));
    assert.equal(seen.length, 2);
    assert.notEqual(seen[1], seen[0]);
  } finally {
    transport.close();
    server.close();
  }
});

Deno.test("UDP transport gives up with a timeout error when the signal aborts", async () => {
  const server = fakeUdp(() => {});
  const transport = udp(server.url);
  try {
    const started = performance.now();
    await assert.rejects(
      transport.query(makeQuery("a.example", RType.A), new Deadline(200)),
      (error) => error instanceof UpstreamError && error.kind === "timeout",
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 1000, `gave up after ${elapsed} ms`);
    assert.equal(server.received, 1);
  } finally {
    transport.close();
    server.close();
  }
});

Deno.test("UDP transport rejects a well-addressed but malformed reply as malformed", async () => {
  const server = fakeUdp((query, send) => {
    const reply = replyTo(query);
    // Claim an answer record that is not there.
    reply[7] = 1;
    send(reply);
  });
  const transport = udp(server.url);
  try {
    await assert.rejects(
      transport.query(makeQuery("a.example", RType.A), new Deadline(1000)),
      (error) => error instanceof UpstreamError && error.kind === "malformed",
    );
  } finally {
    transport.close();
    server.close();
  }
});

Deno.test("UDP transport asks over TCP when a reply is too big to have come whole (no TC bit)", async () => {
  // An upstream ignoring the 1232 bytes we offer: 5,000 bytes of TXT in one datagram.
  const big = (query: Uint8Array) => {
    const name = decodeMessage(query).questions[0].name;
    const strings = Array.from({ length: 20 }, () => new Uint8Array(250).fill(0x61));
    return replyTo(query, {
      answers: [{ name, type: RType.TXT, class: 1, ttl: 60, data: { strings } }],
    });
  };
  const tcp = fakeTcp((query, send) => void send(big(query)));
  const udp_ = fakeUdp((query, send) => send(big(query)), tcp.port);
  const transport = udp(udp_.url);
  try {
    const reply = await transport.query(
      makeQuery("big.example", RType.TXT),
      new Deadline(2000),
    );
    assert.equal(udp_.received, 1);
    assert.equal(tcp.connections, 1, "asked again over TCP");
    assert.ok(reply.length > 5000);
    assert.equal(
      (decodeMessage(reply).answers[0].data as { strings: Uint8Array[] }).strings.length,
      20,
    );
  } finally {
    transport.close();
    udp_.close();
    await tcp.close();
  }
});
