/**
 * The UDP transport's sockets under misses, loss and forgery, counted in /proc/self/fd of a
 * process of their own (tests/support/udp_misses.ts): every query that got no reply closes its
 * socket, however its wait ended, and nothing is left pending; and the RFC 5452 checks hold
 * against datagrams sent from real sockets.
 */
import assert from "node:assert/strict";
import { decodeMessage, peekQuestion, RType } from "../../dns/mod.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { createTransport } from "../../upstream/create.ts";
import { UdpTransport } from "../../upstream/udp.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { makeQuery } from "../support/dns_query.ts";
import { type MissCounts, MISSES } from "../support/udp_misses.ts";
import {
  addressReply,
  type FakeTcp,
  fakeTcp,
  fakeUdp,
  replyTo,
} from "../support/fake_upstreams.ts";

/** 2,000 queries in a process of their own (its descriptors are its own), as `mode` says. */
async function misses(mode: "silent" | "half" | "about"): Promise<MissCounts> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../support/udp_misses.ts", import.meta.url).href, mode],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(text);
}

/** Answered queries' sockets may wait idle (a bounded pool); closing the transport ends them. */
function closedEverySocket(counts: MissCounts): void {
  assert.deepEqual(counts.other, [], "every query answered or timed out, within its budget");
  assert.equal(counts.answered + counts.timeouts, MISSES);
  const kept = counts.afterQueries - counts.before;
  assert.ok(kept <= 128, `${kept} sockets kept`);
  assert.equal(counts.afterClose, counts.before, "every socket closed");
}

Deno.test("2,000 misses to a silent upstream leave no descriptor behind", async () => {
  const counts = await misses("silent");
  assert.equal(counts.timeouts, MISSES);
  assert.equal(counts.afterQueries, counts.before, "every socket of a query with no reply closed");
  closedEverySocket(counts);
});

Deno.test("2,000 misses to an upstream that answers half, some late and some forged, leave none", async () => {
  const counts = await misses("half");
  assert.ok(counts.answered >= MISSES / 2 * 0.9, `${counts.answered} answered`);
  assert.ok(counts.timeouts >= MISSES / 2 * 0.9, `${counts.timeouts} timed out`);
  closedEverySocket(counts);
  assert.equal(counts.tcpConnections, 0, "nothing forged sent the transport to TCP");
});

Deno.test("2,000 replies timed about the deadline: each query settles once, its socket closed or kept idle", async () => {
  const counts = await misses("about");
  assert.ok(counts.answered > 0 && counts.timeouts > 0, JSON.stringify(counts));
  closedEverySocket(counts);
});

/**
 * `body` with a transport to a fake upstream answering as `handle` does, and the TCP server a
 * truncated reply would send it to (its connections counted); everything closed after.
 */
async function withUpstream(
  handle: Parameters<typeof fakeUdp>[0],
  body: (transport: UdpTransport, tcp: FakeTcp) => Promise<void>,
): Promise<void> {
  const server = fakeUdp(handle);
  const tcp = fakeTcp(() => {});
  const transport = new UdpTransport(
    { name: server.url, host: "127.0.0.1", port: server.port },
    createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${tcp.port}`)),
  );
  try {
    await body(transport, tcp);
  } finally {
    transport.close();
    server.close();
    await tcp.close();
  }
}

Deno.test("RFC 5452 against real sockets: forged truncation, another case, a reply after the deadline", async () => {
  const elsewhere = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.2", port: 0 });
  let late: Uint8Array | undefined;
  const ports: number[] = [];
  try {
    await withUpstream((query, send, peer) => {
      ports.push(peer.port);
      const id = peekQuestion(query).id;
      const name = decodeMessage(query).questions[0].name;
      if (name === "late.example") {
        // Answered after the deadline, then kept to be sent again when the next query comes.
        late = addressReply(query, "6.6.6.6");
        return;
      }
      if (late !== undefined) {
        // The late reply to the query before, to the port it came from, and to this query's.
        void elsewhere.send(late, peer).catch(() => {});
        send(late);
      }
      // A truncated reply with our ID and question, from another address: must not force TCP.
      const truncated = replyTo(query);
      truncated[2] |= 0x02;
      void elsewhere.send(truncated, peer).catch(() => {});
      // The upstream's reply, its question in another case, is taken (names compare so).
      send(addressReply(makeQuery(name.toUpperCase(), RType.A, { id }), "192.0.2.1"));
    }, async (transport, tcp) => {
      await assert.rejects(
        transport.query(makeQuery("late.example", RType.A), new Deadline(50)),
        (error) => error instanceof UpstreamError && error.kind === "timeout",
      );
      const reply = decodeMessage(
        await transport.query(makeQuery("next.example", RType.A), new Deadline(2000)),
      );
      assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
      assert.equal(reply.questions[0].name.toLowerCase(), "next.example");
      assert.notEqual(ports[1], ports[0], "the query after a timeout leaves from another port");
      assert.equal(tcp.connections, 0, "a forged truncated reply did not send it to TCP");
    });
  } finally {
    elsewhere.close();
  }
});
