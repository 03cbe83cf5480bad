/**
 * TCP and DoT transports: against knot (TCP) and dnsdist (DoT) for real answers, and against
 * fake servers for pipelining, out-of-order replies, dropped connections and refusals.
 */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { createTransport } from "../../upstream/create.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { integration } from "../support/binaries.ts";
import { startEncryptedUpstream } from "../support/dnsdist.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, fakeTcp } from "../support/fake_upstreams.ts";
import { startKnot } from "../support/knot.ts";
import { freePort } from "../support/ports.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const addresses = (reply: Uint8Array) => decodeMessage(reply).answers.map((r) => r.data);

Deno.test({
  name: "TCP transport gets knot's answers, big ones included, over one connection",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const transport = createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${knot.port}`));
    try {
      const replies = await Promise.all(
        ["www", "big", "mail", "www"].map((label) =>
          transport.query(
            makeQuery(`${label}.${TEST_ZONE}`, label === "big" ? RType.TXT : RType.A),
            new Deadline(2000),
          )
        ),
      );
      assert.equal(decodeMessage(replies[1]).answers.length, 8);
      assert.deepEqual(addresses(replies[2]), [{ address: "192.0.2.25" }]);
    } finally {
      transport.close();
      await knot.stop();
    }
  },
});

Deno.test("TCP transport pipelines queries on one connection and matches out-of-order replies", async () => {
  const held: [Uint8Array, (bytes: Uint8Array) => Promise<void>][] = [];
  const server = fakeTcp((query, send) => {
    held.push([query, send]);
    if (held.length === 3) {
      // Answer in reverse order, each with an address naming its question.
      for (const [q, s] of held.reverse()) {
        const name = decodeMessage(q).questions[0].name;
        void s(addressReply(q, `192.0.2.${name.split(".")[0].slice(1)}`));
      }
    }
  });
  const transport = createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${server.port}`));
  try {
    const replies = await Promise.all(
      [1, 2, 3].map((n) =>
        transport.query(makeQuery(`q${n}.example`, RType.A), new Deadline(2000))
      ),
    );
    assert.deepEqual(replies.map(addresses), [1, 2, 3].map((n) => [{ address: `192.0.2.${n}` }]));
    assert.equal(server.connections, 1);
  } finally {
    transport.close();
    await server.close();
  }
});

Deno.test("TCP transport retries once on a new connection when a reused one is dropped", async () => {
  // Each connection answers its first query and is closed on the second, unanswered: what a
  // server closing an idle connection looks like to a client that just sent on it.
  const served = new WeakMap<Deno.Conn, number>();
  const server = fakeTcp((query, send, conn) => {
    const count = (served.get(conn) ?? 0) + 1;
    served.set(conn, count);
    if (count === 1) void send(addressReply(query, "192.0.2.1"));
    else conn.close();
  });
  const transport = createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${server.port}`));
  try {
    await transport.query(makeQuery("a.example", RType.A), new Deadline(2000));
    const reply = await transport.query(makeQuery("b.example", RType.A), new Deadline(2000));
    assert.deepEqual(addresses(reply), [{ address: "192.0.2.1" }]);
    assert.equal(server.connections, 2);
  } finally {
    transport.close();
    await server.close();
  }
});

Deno.test("TCP transport fails fast with a network error when nothing listens", async () => {
  const transport = createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${freePort()}`));
  try {
    await assert.rejects(
      transport.query(makeQuery("a.example", RType.A), new Deadline(2000)),
      (error) =>
        error instanceof UpstreamError && error.kind === "network" &&
        /could not connect/.test(error.message),
    );
  } finally {
    transport.close();
  }
});

Deno.test("TCP transport times out a query the upstream never answers, and the connection lives on", async () => {
  const server = fakeTcp((query, send) => {
    if (decodeMessage(query).questions[0].name !== "silent.example") {
      void send(addressReply(query, "192.0.2.9"));
    }
  });
  const transport = createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${server.port}`));
  try {
    await assert.rejects(
      transport.query(makeQuery("silent.example", RType.A), new Deadline(150)),
      (error) => error instanceof UpstreamError && error.kind === "timeout",
    );
    const reply = await transport.query(makeQuery("b.example", RType.A), new Deadline(1000));
    assert.deepEqual(addresses(reply), [{ address: "192.0.2.9" }]);
    assert.equal(server.connections, 1);
  } finally {
    transport.close();
    await server.close();
  }
});

Deno.test({
  name: "DoT transport gets answers through dnsdist's TLS listener, checking its certificate",
  ...integration(["knotd", "dnsdist", "openssl"]),
  async fn() {
    const upstream = await startEncryptedUpstream();
    const url = upstream.dotUrl;
    const trusting = createTransport(parseUpstreamUrl(url), { caCerts: [upstream.cert.cert] });
    const untrusting = createTransport(parseUpstreamUrl(url));
    try {
      const replies = await Promise.all([
        trusting.query(makeQuery(`www.${TEST_ZONE}`, RType.A), new Deadline(3000)),
        trusting.query(makeQuery(`big.${TEST_ZONE}`, RType.TXT), new Deadline(3000)),
      ]);
      assert.equal(decodeMessage(replies[0]).answers.length, 2);
      assert.equal(decodeMessage(replies[1]).answers.length, 8);
      await assert.rejects(
        untrusting.query(makeQuery(`www.${TEST_ZONE}`, RType.A), new Deadline(3000)),
        (error) =>
          error instanceof UpstreamError && error.kind === "network" &&
          /certificate/i.test(error.message),
      );
    } finally {
      trusting.close();
      untrusting.close();
      await upstream.stop();
    }
  },
});
