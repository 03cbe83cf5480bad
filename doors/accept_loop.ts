/**
 * The accept loop of every connection door (HTTP, TCP, DoT). An accept that fails -- out of file
 * descriptors, mostly -- is counted and reported, and the loop pauses and goes on: it neither
 * spins nor ends, and the connections already open go on being served. One that fails because
 * its client reset the connection first is counted, and the loop goes on at once. Each
 * connection is admitted by the door's table or closed at once; a TLS connection closed so,
 * still in its handshake, has its socket reaped.
 */
import type { ConnectionTable, HeldConnection } from "./connection_table.ts";

/** A pause after a failed accept, so the loop does not spin while descriptors are short. */
const ACCEPT_RETRY_MS = 100;

export interface AcceptLoop<C extends HeldConnection> {
  listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  table: ConnectionTable<C>;
  /** Frees the socket of a TLS connection closed in its handshake (handshake_reaper.ts). */
  reap?: (peer: Deno.NetAddr) => void;
  /** True once the door stops taking connections. */
  closing: () => boolean;
  onError?: (error: unknown) => void;
  /** Serves an admitted connection; `client` is the key to add it to the table under. */
  serve: (conn: Deno.Conn, client: string) => void;
}

/** Accepts until the listener closes or the door is closing. */
export async function acceptLoop<C extends HeldConnection>(loop: AcceptLoop<C>): Promise<void> {
  while (!loop.closing()) {
    let conn: Deno.Conn;
    try {
      conn = await loop.listener.accept();
    } catch (error) {
      if (loop.closing() || error instanceof Deno.errors.BadResource) return;
      loop.table.stats.acceptErrors++;
      // The client hung up before its accept (a reset): its failure alone. A pause here would
      // let anyone hold the door shut with resets.
      if (goneBeforeAccept(error)) continue;
      loop.onError?.(error);
      await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
      continue;
    }
    const peer = conn.remoteAddr as Deno.NetAddr;
    const client = loop.closing() ? undefined : loop.table.admit(peer.hostname);
    if (client === undefined) {
      conn.close();
      loop.reap?.(peer);
      continue;
    }
    loop.serve(conn, client);
  }
}

/** Whether an accept failed because that one connection was gone already. */
function goneBeforeAccept(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted;
}
