/**
 * The UDP door's two ways of sending replies: sendto(2) through FFI (where the test has
 * --allow-ffi, as `deno task test` does) and Deno's own send, on IPv4, IPv6 and a dual-stack
 * socket answering an IPv4 client. Both must give the client the same answer.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import type { Stage } from "../../pipeline/types.ts";
import { UdpDoor } from "../../doors/udp.ts";
import { directSocket } from "../../doors/udp_direct.ts";
import { openLibc } from "../../runtime/libc_sockets.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const resolver = localResolver({ "www.example": ["192.0.2.1"] });
// The door opens libc once for the whole process and keeps it (libc_sockets.ts): opened before
// any test, it is no test's leak to the resource sanitizer (which counts libraries on Deno 2.5).
openLibc();

/** One query from `from` to the door at `to`, and the decoded reply. */
async function ask(door: UdpDoor, from: string, to: string, name = "www.example") {
  const client = Deno.listenDatagram({ transport: "udp", hostname: from, port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const query = makeQuery(name, RType.A, { id: 0xbeef });
    await client.send(query, { transport: "udp", hostname: to, port: door.addr.port });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no reply within 2 s")), 2000);
    });
    const [reply] = await Promise.race([client.receive(), timeout]);
    return decodeMessage(reply);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

function hasIpv6Loopback(): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

const cases = [
  { name: "IPv4", door: "127.0.0.1", client: "127.0.0.1", to: "127.0.0.1" },
  { name: "IPv6", door: "::1", client: "::1", to: "::1", ipv6: true },
  { name: "dual-stack socket, IPv4 client", door: "::", client: "127.0.0.1", to: "127.0.0.1" },
];

for (const direct of [true, false]) {
  for (const c of cases) {
    Deno.test({
      name: `UDP door answers over ${c.name} through ${
        direct ? "sendto(2)/recvfrom(2)" : "Deno's send"
      }`,
      ignore: c.ipv6 === true && !hasIpv6Loopback(),
      async fn() {
        const door = new UdpDoor({
          resolver,
          hostname: c.door,
          port: 0,
          maxSize: 1232,
          direct,
        });
        try {
          if (direct) assert.equal(door.datagramPath, "sendto(2)/recvfrom(2)");
          else {assert.match(
              door.datagramPath,
              /^Deno.s send and receive \(sendto\(2\)\/recvfrom\(2\): turned off\)$/,
            );}
          const reply = await ask(door, c.client, c.to);
          assert.equal(reply.header.id, 0xbeef);
          assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
        } finally {
          await door.close();
        }
      },
    });
  }
}

// Stages that answer (a cache hit) or fail without an await reach the client the same way.
const atOnce: Stage = (ctx) =>
  ctx.question.name === "fail.example"
    ? (() => {
      throw new Error("stage failed at once");
    })()
    : replyAnswer(ctx.query, { answers: [aRecord(ctx.question.name)] }, "cache");
const aRecord = (name: string) => ({
  name,
  type: RType.A,
  class: 1,
  ttl: 60,
  data: { address: "192.0.2.77" },
});

for (const direct of [true, false]) {
  Deno.test(`UDP door sends an answer a stage made at once through ${direct ? "sendto(2)" : "Deno"}`, async () => {
    const door = new UdpDoor({
      resolver: localResolver({}, { extraStages: [atOnce] }),
      hostname: "127.0.0.1",
      port: 0,
      maxSize: 1232,
      direct,
    });
    try {
      const reply = await ask(door, "127.0.0.1", "127.0.0.1");
      assert.equal(reply.header.id, 0xbeef);
      assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.77" }]);
      const failed = await ask(door, "127.0.0.1", "127.0.0.1", "fail.example");
      assert.equal(failed.header.rcode, Rcode.SERVFAIL);
    } finally {
      await door.close();
    }
  });
}

for (const c of cases) {
  Deno.test({
    name: `directSocket() sends a datagram itself over ${c.name}, and nothing once closed`,
    ignore: c.ipv6 === true && !hasIpv6Loopback(),
    async fn() {
      const socket = Deno.listenDatagram({ transport: "udp", hostname: c.door, port: 0 });
      const peer = Deno.listenDatagram({ transport: "udp", hostname: c.client, port: 0 });
      try {
        const sender = directSocket((socket.addr as Deno.NetAddr).port);
        assert.ok(typeof sender !== "string", `no direct sender: ${sender}`);
        const to = peer.addr as Deno.NetAddr;
        // A dual-stack socket sees an IPv4 client as ::ffff:a.b.c.d.
        const spelled = c.door === "::" ? { ...to, hostname: `::ffff:${to.hostname}` } : to;
        assert.equal(sender.send(new Uint8Array([1, 2, 3]), spelled), true);
        const [got, from] = await peer.receive();
        assert.deepEqual([...got], [1, 2, 3]);
        assert.equal((from as Deno.NetAddr).port, (socket.addr as Deno.NetAddr).port);
        sender.close();
        assert.equal(sender.send(new Uint8Array([4]), spelled), false);
        assert.equal(
          sender.send(new Uint8Array([4]), { ...spelled, hostname: "fe80::1%lo" }),
          false,
        );
      } finally {
        socket.close();
        peer.close();
      }
    },
  });
}

Deno.test("directSocket() reads what is queued, then says the queue is empty", async () => {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const direct = directSocket((socket.addr as Deno.NetAddr).port);
    assert.ok(typeof direct !== "string", `no direct socket: ${direct}`);
    const buffer = new Uint8Array(512);
    assert.equal(direct.receiveNow(buffer), undefined, "nothing queued yet");
    for (const byte of [1, 2, 3]) {
      await client.send(new Uint8Array([byte, byte]), socket.addr as Deno.NetAddr);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const from = client.addr as Deno.NetAddr;
    for (const byte of [1, 2, 3]) {
      const got = direct.receiveNow(buffer);
      assert.ok(got !== undefined);
      assert.deepEqual([...got[0]], [byte, byte]);
      assert.deepEqual(got[1], { transport: "udp", hostname: from.hostname, port: from.port });
    }
    assert.equal(direct.receiveNow(buffer), undefined, "the queue is empty again");
    // Deno's own receive still works after direct reads.
    await client.send(new Uint8Array([9]), socket.addr as Deno.NetAddr);
    const [last] = await socket.receive();
    assert.deepEqual([...last], [9]);
    direct.close();
    await client.send(new Uint8Array([7]), socket.addr as Deno.NetAddr);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(direct.receiveNow(buffer), undefined, "nothing once closed");
  } finally {
    socket.close();
    client.close();
  }
});

for (const [door, from] of [["::1", "::1"], ["::", "127.0.0.1"]]) {
  Deno.test({
    name: `directSocket() reads a queued datagram from ${from} on ${door} as Deno would spell it`,
    ignore: !hasIpv6Loopback(),
    async fn() {
      const socket = Deno.listenDatagram({ transport: "udp", hostname: door, port: 0 });
      const client = Deno.listenDatagram({ transport: "udp", hostname: from, port: 0 });
      const port = (socket.addr as Deno.NetAddr).port;
      try {
        const direct = directSocket(port);
        assert.ok(typeof direct !== "string", `no direct socket: ${direct}`);
        const to = { transport: "udp" as const, hostname: from, port };
        await client.send(new Uint8Array([5]), to);
        const [, seenByDeno] = await socket.receive();
        await client.send(new Uint8Array([6]), to);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const got = direct.receiveNow(new Uint8Array(512));
        assert.ok(got !== undefined);
        assert.deepEqual([...got[0]], [6]);
        assert.deepEqual({ ...got[1] }, { ...(seenByDeno as Deno.NetAddr) });
      } finally {
        socket.close();
        client.close();
      }
    },
  });
}

for (const direct of [true, false]) {
  Deno.test(`UDP door drains once the answers under way are sent, through ${direct ? "sendto(2)" : "Deno"}`, async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => release = resolve);
    // Answers at once, except for "wait.example", which is answered once released.
    const stage: Stage = (ctx) => {
      const answer = replyAnswer(ctx.query, { answers: [aRecord(ctx.question.name)] }, "cache");
      return ctx.question.name === "wait.example" ? held.then(() => answer) : answer;
    };
    const door = new UdpDoor({
      resolver: localResolver({}, { extraStages: [stage] }),
      hostname: "127.0.0.1",
      port: 0,
      maxSize: 1232,
      direct,
    });
    try {
      // Answers given at once leave nothing in flight.
      await ask(door, "127.0.0.1", "127.0.0.1");
      await ask(door, "127.0.0.1", "127.0.0.1", "fail.example");
      const waiting = ask(door, "127.0.0.1", "127.0.0.1", "wait.example");
      await new Promise((resolve) => setTimeout(resolve, 50));
      let drained = false;
      const draining = door.drain().then(() => drained = true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(drained, false, "an answer is still under way");
      release();
      assert.deepEqual((await waiting).answers.map((r) => r.data), [{ address: "192.0.2.77" }]);
      await draining;
      assert.equal(drained, true);
    } finally {
      await door.close();
    }
  });
}
