/**
 * The UDP door on a socket of its own with SO_REUSEPORT (doors/udp_shared.ts), as each worker
 * opens it: two doors bind one port, each answers, the descriptor is freed on close, and a port
 * held by a socket without SO_REUSEPORT is refused as Deno refuses it.
 */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { UdpDoor } from "../../doors/udp.ts";
import { bindSharedSocket, sharedSocketCalls } from "../../doors/udp_shared.ts";
import { openSharedDatagramCalls } from "../../runtime/libc_sockets.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

// Opened once for the whole process, as the door keeps it: no test's leak.
const calls = openSharedDatagramCalls();

/** A shared door answering www.example with `address`. */
function sharedDoor(hostname: string, port: number, address = "192.0.2.1"): UdpDoor {
  assert.ok(typeof calls !== "string", calls as string);
  const resolver = localResolver({ "www.example": [address] });
  return new UdpDoor({ resolver, hostname, port, maxSize: 1232, shared: calls });
}

/** Asks from a fresh socket until the reply comes (at most 2 s); the reply's answers. */
async function ask(hostname: string, port: number): Promise<string[]> {
  const client = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await client.send(makeQuery("www.example", RType.A, { id: 7 }), {
      transport: "udp",
      hostname,
      port,
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no reply within 2 s")), 2000);
    });
    const [reply] = await Promise.race([client.receive(), timeout]);
    return decodeMessage(reply).answers.map((record) =>
      (record.data as { address: string }).address
    );
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

Deno.test("two doors with SO_REUSEPORT bind one UDP port, and each answers", async () => {
  const first = sharedDoor("127.0.0.1", 0, "192.0.2.1");
  const second = sharedDoor("127.0.0.1", first.addr.port, "192.0.2.2");
  try {
    assert.equal(second.addr.port, first.addr.port);
    assert.match(first.datagramPath, /SO_REUSEPORT/);
    // The kernel picks a door by the client's port: 24 fresh clients reach both.
    const answers = new Set<string>();
    for (let i = 0; i < 24; i++) answers.add((await ask("127.0.0.1", first.addr.port)).join());
    assert.deepEqual([...answers].sort(), ["192.0.2.1", "192.0.2.2"]);
    await first.close();
    // The one left gets every datagram.
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(await ask("127.0.0.1", first.addr.port), ["192.0.2.2"]);
    }
  } finally {
    await first.close();
    await second.close();
  }
});

Deno.test("a shared door on :: answers an IPv4 client, as Deno's dual-stack socket does", async () => {
  const door = sharedDoor("::", 0);
  try {
    assert.deepEqual(await ask("127.0.0.1", door.addr.port), ["192.0.2.1"]);
  } finally {
    await door.close();
  }
});

Deno.test("a closed shared door frees its port", async () => {
  const door = sharedDoor("127.0.0.1", 0);
  const port = door.addr.port;
  await door.close();
  // Without SO_REUSEPORT, a bind succeeds only once no socket holds the port.
  Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
});

Deno.test("a port held without SO_REUSEPORT is refused as Deno refuses it", () => {
  const held = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = (held.addr as Deno.NetAddr).port;
    assert.throws(() => sharedDoor("127.0.0.1", port), (error: unknown) => {
      assert.ok(error instanceof Deno.errors.AddrInUse);
      assert.equal(error.message, "Address already in use (os error 98)");
      return true;
    });
  } finally {
    held.close();
  }
});

Deno.test("a host name that is not an address gets no shared socket, and says why", () => {
  assert.equal(sharedSocketCalls("localhost"), 'DNS_HOST "localhost" is not an IP address');
});

Deno.test("closing a shared socket wakes its wait for datagrams at once", async () => {
  assert.ok(typeof calls !== "string", calls as string);
  const socket = bindSharedSocket(calls, "127.0.0.1", 0);
  const waiting = socket.readable();
  const started = performance.now();
  socket.close();
  assert.equal(await waiting, false);
  // The poll's own bound is a second: shutdown(2) ended it well before.
  assert.ok(performance.now() - started < 500, `${performance.now() - started} ms`);
});

Deno.test("sends that wait for room on a shared socket all go out", async () => {
  assert.ok(typeof calls !== "string", calls as string);
  const socket = bindSharedSocket(calls, "127.0.0.1", 0);
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const peer = client.addr as Deno.NetAddr;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => socket.sendWhenWritable(new Uint8Array([i]), peer)),
    );
    const got = new Set<number>();
    while (got.size < 50) got.add((await client.receive())[0][0]);
    assert.equal(got.size, 50);
  } finally {
    socket.close();
    client.close();
  }
});
