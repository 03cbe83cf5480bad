/**
 * The UDP transport's sockets under misses, loss and forgery, counted in /proc/self/fd: every
 * query that got no reply closes its socket, however its wait ended, and nothing is left
 * pending; and the RFC 5452 checks hold against datagrams sent from real sockets.
 */
import assert from "node:assert/strict";
import { decodeMessage, peekQuestion, RType, setId } from "../../dns/mod.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { createTransport } from "../../upstream/create.ts";
import type { Transport } from "../../upstream/transport.ts";
import { UdpTransport } from "../../upstream/udp.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { makeQuery } from "../support/dns_query.ts";
import {
  addressReply,
  type FakeTcp,
  fakeTcp,
  fakeUdp,
  replyTo,
} from "../support/fake_upstreams.ts";

const MISSES = 2000;
/** Queries under way at once. */
const WAVE = 200;
const ATTEMPT_MS = 40;

function descriptors(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** Waits (a little) until the descriptors are back to `count`; the last count. */
async function settled(count: number): Promise<number> {
  let now = descriptors();
  for (let waited = 0; now > count && waited < 1000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = descriptors();
  }
  return now;
}

/** `MISSES` queries, `WAVE` at a time, each within a budget its attempt follows. */
async function misses(transport: UdpTransport): Promise<{ answered: number; timeouts: number }> {
  let answered = 0, timeouts = 0;
  for (let sent = 0; sent < MISSES; sent += WAVE) {
    const wave = Array.from({ length: WAVE }, async (_, i) => {
      const budget = new Deadline(ATTEMPT_MS * 2);
      const attempt = new Deadline(ATTEMPT_MS, budget);
      try {
        await transport.query(makeQuery(`n${sent + i}.miss.example`, RType.A), attempt);
        answered++;
      } catch (error) {
        assert.ok(error instanceof UpstreamError && error.kind === "timeout", String(error));
        timeouts++;
      } finally {
        attempt.dispose();
        budget.dispose();
      }
    });
    // Every query settles within its budget (and a few slots): none is left pending.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise((resolve) => timer = setTimeout(() => resolve("stuck"), 2000));
    const outcome = await Promise.race([Promise.all(wave), stuck]);
    clearTimeout(timer);
    assert.notEqual(outcome, "stuck", "a query of the wave never settled");
  }
  return { answered, timeouts };
}

const target = (port: number) => ({ name: `udp://127.0.0.1:${port}`, host: "127.0.0.1", port });

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
  const transport = new UdpTransport(target(server.port), noTcp(tcp.port));
  try {
    await body(transport, tcp);
  } finally {
    transport.close();
    server.close();
    // Replies still on their way reach closed ports.
    await new Promise((resolve) => setTimeout(resolve, ATTEMPT_MS * 3));
    await tcp.close();
  }
}

/** Answered queries' sockets may wait idle (a bounded pool); closing the transport ends them. */
async function closesEverySocket(transport: UdpTransport, before: number): Promise<void> {
  assert.ok(descriptors() <= before + 128 + 1, `${descriptors() - before} sockets kept`);
  transport.close();
  assert.equal(await settled(before), before, "every socket closed");
}

Deno.test("2,000 misses to a silent upstream leave no descriptor behind", () =>
  withUpstream(() => {}, async (transport) => {
    const before = descriptors();
    const { answered, timeouts } = await misses(transport);
    assert.equal(answered, 0);
    assert.equal(timeouts, MISSES);
    assert.equal(await settled(before), before, "every socket of a query with no reply closed");
  }));

Deno.test("2,000 misses to an upstream that answers half, some late and some forged, leave none", async () => {
  let count = 0;
  const forger = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await withUpstream((query, send) => {
      const n = count++;
      // Every query also gets a forged reply (wrong ID) from the upstream, one from elsewhere.
      const forged = addressReply(query, "6.6.6.6");
      send(setId(forged.slice(), peekQuestion(query).id ^ 1));
      send(forged, forger);
      if (n % 2 === 0) send(addressReply(query, "192.0.2.1"));
      else if (n % 4 === 1) {
        setTimeout(() => send(addressReply(query, "192.0.2.2")), ATTEMPT_MS * 3);
      }
      // else: lost
    }, async (transport, tcp) => {
      const before = descriptors();
      const { answered, timeouts } = await misses(transport);
      assert.equal(answered + timeouts, MISSES);
      assert.ok(answered >= MISSES / 2 * 0.9, `${answered} answered`);
      assert.ok(timeouts >= MISSES / 2 * 0.9, `${timeouts} timed out`);
      await closesEverySocket(transport, before);
      assert.equal(tcp.connections, 0, "nothing forged sent the transport to TCP");
    });
  } finally {
    forger.close();
  }
});

Deno.test("2,000 replies timed about the deadline: each query settles once, its socket closed or kept idle", () =>
  // Replies from half to one and a half attempts late: many land as the deadline fires.
  withUpstream((query, send) => {
    const delay = ATTEMPT_MS * (0.5 + Math.random());
    setTimeout(() => send(addressReply(query, "192.0.2.1")), delay);
  }, async (transport) => {
    const before = descriptors();
    const { answered, timeouts } = await misses(transport);
    assert.equal(answered + timeouts, MISSES);
    assert.ok(answered > 0 && timeouts > 0, `${answered} answered, ${timeouts} timed out`);
    await closesEverySocket(transport, before);
  }));

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

/** The TCP side, which none of these queries should reach (its connections are counted). */
function noTcp(port: number): Transport {
  return createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${port}`));
}
