/**
 * Bare DNS clients for what dig and kdig cannot show: many queries from one UDP socket with
 * every reply (or its absence) seen, and many queries written at once on one TCP connection.
 * Also where the gateway prints its classic doors' ports.
 */
import { frame, FrameReader, writeAll } from "../../net/framing.ts";
import type { Gateway } from "./gateway.ts";

/** The port a door of the gateway listens on, from its startup lines. */
export function doorPort(gateway: Gateway, door: "UDP" | "TCP" | "TLS"): number {
  const match = new RegExp(`DNS over ${door} listening on .*:(\\d+)\\n`).exec(gateway.stderr());
  if (!match) throw new Error(`no DNS over ${door} door in:\n${gateway.stderr()}`);
  return Number(match[1]);
}

/**
 * Sends every query from one socket (bound to `from`, a loopback address) to
 * 127.0.0.1:`port`, then collects replies until none has come for `quietMs`.
 */
export async function udpExchange(
  port: number,
  queries: Uint8Array[],
  quietMs = 300,
  from = "127.0.0.1",
): Promise<Uint8Array[]> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: from, port: 0 });
  const replies: Uint8Array[] = [];
  let last = Date.now();
  const receiving = (async () => {
    for await (const [reply] of socket) {
      replies.push(reply);
      last = Date.now();
    }
  })().catch(() => {/* closed */});
  try {
    for (const query of queries) {
      await socket.send(query, { transport: "udp", hostname: "127.0.0.1", port });
    }
    last = Date.now();
    while (Date.now() - last < quietMs) await new Promise((r) => setTimeout(r, 20));
  } finally {
    socket.close();
    await receiving;
  }
  return replies;
}

/** A TCP connection to 127.0.0.1:`port` that writes framed queries and reads framed replies. */
export async function tcpClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new FrameReader(conn);
  return {
    conn,
    /** Writes all the queries in one write. */
    send: (queries: Uint8Array[]) =>
      writeAll(conn, new Uint8Array(queries.flatMap((query) => [...frame(query)]))),
    /** The next `count` replies, in the order they come; fails after `ms`. */
    async receive(count: number, ms = 5000): Promise<Uint8Array[]> {
      const replies: Uint8Array[] = [];
      const timer = setTimeout(() => conn.close(), ms);
      try {
        while (replies.length < count) {
          const reply = await reader.next();
          if (reply === null) break;
          replies.push(reply);
        }
      } catch {
        // closed by the timer
      } finally {
        clearTimeout(timer);
      }
      if (replies.length < count) {
        throw new Error(`${replies.length} of ${count} replies before the connection ended`);
      }
      return replies;
    },
    /** Resolves true when the server closes the connection (reads EOF). */
    async closedByServer(): Promise<boolean> {
      try {
        return (await reader.next()) === null;
      } catch {
        return true;
      }
    },
    close: () => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}
