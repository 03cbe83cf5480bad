/**
 * Free loopback ports for the peers tests start. The OS picks a port by binding port 0; we
 * close the socket and hand the number on. A small race remains (another process could take
 * it meanwhile), which is why peers that fail to bind are retried by their starters.
 */

const LOOPBACK = "127.0.0.1";

/** A port that was free on 127.0.0.1 for the given transport a moment ago. */
export function freePort(transport: "tcp" | "udp" = "tcp"): number {
  if (transport === "udp") {
    const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port: 0 });
    const { port } = socket.addr as Deno.NetAddr;
    socket.close();
    return port;
  }
  const listener = Deno.listen({ transport: "tcp", hostname: LOOPBACK, port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** A port free for both UDP and TCP on 127.0.0.1, as a DNS server needs both. */
export function freeDnsPort(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const listener = Deno.listen({ transport: "tcp", hostname: LOOPBACK, port: 0 });
    const { port } = listener.addr;
    try {
      const socket = Deno.listenDatagram({ transport: "udp", hostname: LOOPBACK, port });
      socket.close();
      return port;
    } catch {
      // taken for UDP: try another
    } finally {
      listener.close();
    }
  }
  throw new Error("no port free for both UDP and TCP on 127.0.0.1 after 50 tries");
}
