/**
 * Misbehaving upstreams for the cases no real server can be made to produce on demand:
 * spoofed replies, replies from the wrong port, silence, out-of-order, dropped and reset TCP
 * connections, HTTP errors and HTML. Each runs on loopback and is closed by the test.
 */
import { decodeMessage, encodeReply, type Message, type ReplyInit } from "../../dns/mod.ts";
import { frame, FrameReader, writeAll } from "../../net/framing.ts";

/** A reply to `query` (same ID, question) with the given records/rcode. */
export function replyTo(query: Uint8Array, init: ReplyInit = {}): Uint8Array<ArrayBuffer> {
  return encodeReply(decodeMessage(query), init);
}

/** An A record answer for the query's own name. */
export function addressReply(query: Uint8Array, address: string): Uint8Array<ArrayBuffer> {
  const message: Message = decodeMessage(query);
  const name = message.questions[0].name;
  return encodeReply(message, {
    answers: [{ name, type: 1, class: 1, ttl: 60, data: { address } }],
  });
}

export interface FakeUdp {
  port: number;
  url: string;
  /** Datagrams received so far. */
  received: number;
  close(): void;
}

/**
 * A UDP server calling `handle` with each datagram and a `send` that answers from this
 * server's socket (or, with `from`, from another socket, to play a spoofer on another port).
 * On `port` when given (a fake TCP server's, for the same upstream over both).
 */
export function fakeUdp(
  handle: (
    query: Uint8Array,
    send: (bytes: Uint8Array, from?: Deno.DatagramConn) => void,
    peer: Deno.NetAddr,
  ) => void,
  port = 0,
): FakeUdp {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
  const bound = (socket.addr as Deno.NetAddr).port;
  const server: FakeUdp = { port: bound, url: `udp://127.0.0.1:${bound}`, received: 0, close };
  const loop = (async () => {
    for await (const [query, peer] of socket) {
      server.received++;
      const reply = (bytes: Uint8Array, from = socket) =>
        void from.send(bytes, peer).catch(() => {});
      handle(query, reply, peer as Deno.NetAddr);
    }
  })().catch(() => {});
  function close() {
    socket.close();
    void loop;
  }
  return server;
}

export interface FakeTcp {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A TCP DNS server: `handle` gets each framed query and the connection, and decides what to
 * send back (with `send`) and whether to close.
 */
export function fakeTcp(
  handle: (query: Uint8Array, send: (bytes: Uint8Array) => Promise<void>, conn: Deno.Conn) => void,
): FakeTcp {
  const listener = Deno.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const server: FakeTcp = { port: listener.addr.port, connections: 0, close };
  const accepting = (async () => {
    for await (const conn of listener) {
      server.connections++;
      conns.add(conn);
      tasks.push(serve(conn));
    }
  })().catch(() => {});
  async function serve(conn: Deno.Conn) {
    const reader = new FrameReader(conn);
    const send = (bytes: Uint8Array) => writeAll(conn, frame(bytes)).catch(() => {});
    try {
      for (let query = await reader.next(); query; query = await reader.next()) {
        handle(query, send, conn);
      }
    } catch {
      // closed by the test or the handler
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
  async function close() {
    listener.close();
    await accepting;
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(tasks);
  }
  return server;
}

/** A local HTTP server (a DoH upstream) answering every POST with `respond(query)`. */
export function fakeHttp(respond: (query: Uint8Array) => Response | Promise<Response>) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => respond(new Uint8Array(await request.arrayBuffer())),
  );
  return { url: `http://127.0.0.1:${server.addr.port}/dns-query`, close: () => server.shutdown() };
}

/** A DoH answer: `bytes` as application/dns-message. */
export const dnsMessage = (bytes: Uint8Array) =>
  new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": "application/dns-message" },
  });

/**
 * A TCP upstream that resets its connections in the middle of a query: it never accepts them,
 * so they wait in the kernel's queue with their queries unread, and `reset()` closes the
 * listener, which answers each of them with RST (a process dying mid-query looks the same).
 */
export function resettingTcp(): { url: string; reset(): void } {
  const listener = Deno.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
  return {
    url: `tcp://127.0.0.1:${listener.addr.port}`,
    reset: () => listener.close(),
  };
}
