/**
 * The TCP door (RFC 7766), and the accept loop the DoT door shares: each connection is a
 * `StreamConnection` around the resolver. Connections beyond `maxConnections` are closed at
 * once (the client may retry; the ones being served keep their share). Clients outside the
 * allow-list get REFUSED for every query: over TCP the address is proven, so a clear answer
 * costs nothing and beats a timeout. No truncation: a TCP answer takes up to 65535 bytes.
 */
import { encodeReplyTo, Rcode } from "../dns/mod.ts";
import type { Door } from "../pipeline/types.ts";
import { type AnswerDeps, answerQuery } from "./answer.ts";
import type { CidrSet } from "./cidr.ts";
import { type ConnectionOptions, StreamConnection } from "./stream_connection.ts";

export interface StreamDoorOptions extends AnswerDeps, Omit<ConnectionOptions, "answer"> {
  maxConnections: number;
  /** Without it, every client may ask. */
  allow?: CidrSet;
}

export interface TcpDoorOptions extends StreamDoorOptions {
  hostname: string;
  port: number;
  /** SO_REUSEPORT: several worker processes listen on the port, the kernel spreads clients. */
  reusePort?: boolean;
}

/** A pause after a failed accept (e.g. out of file descriptors), so the loop does not spin. */
const ACCEPT_RETRY_MS = 100;

export class StreamDoor {
  readonly addr: Deno.NetAddr;
  readonly #listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  readonly #door: Door;
  readonly #options: StreamDoorOptions;
  readonly #connections = new Set<StreamConnection>();
  readonly #accepting: Promise<void>;
  #draining = false;

  constructor(
    listener: Deno.Listener<Deno.Conn, Deno.NetAddr>,
    door: Door,
    options: StreamDoorOptions,
  ) {
    this.addr = listener.addr;
    this.#listener = listener;
    this.#door = door;
    this.#options = options;
    this.#accepting = this.#accept();
  }

  /** Stops accepting; resolves once every query already read has been answered. */
  async drain(): Promise<void> {
    this.#stopAccepting();
    await this.#accepting;
    await Promise.all([...this.#connections].map((connection) => connection.drain()));
  }

  /** Closes the listener and every connection now. */
  async close(): Promise<void> {
    this.#stopAccepting();
    for (const connection of this.#connections) connection.close();
    await this.#accepting;
    await Promise.all([...this.#connections].map((connection) => connection.done));
  }

  #stopAccepting(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }

  async #accept(): Promise<void> {
    while (!this.#draining) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#draining || error instanceof Deno.errors.BadResource) return;
        this.#options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      if (this.#draining || this.#connections.size >= this.#options.maxConnections) {
        conn.close();
        continue;
      }
      this.#serve(conn);
    }
  }

  #serve(conn: Deno.Conn): void {
    // Answers are small and go out one by one: no Nagle delay (TLS connections cannot say).
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const address = (conn.remoteAddr as Deno.NetAddr).hostname;
    const client = { address, door: this.#door };
    const allowed = this.#options.allow?.has(address) ?? true;
    const connection = new StreamConnection(conn, {
      idleTimeoutMs: this.#options.idleTimeoutMs,
      maxInFlight: this.#options.maxInFlight,
      answer: allowed
        ? (raw) => answerQuery(this.#options, raw, client)
        : (raw) => Promise.resolve(encodeReplyTo(raw, { rcode: Rcode.REFUSED })),
    });
    this.#connections.add(connection);
    void connection.done.finally(() => this.#connections.delete(connection));
  }
}

/** Listens on TCP; throws (as Deno.listen does) when the port cannot be had. */
export function listenTcp(options: TcpDoorOptions): StreamDoor {
  const listener = Deno.listen({
    transport: "tcp",
    hostname: options.hostname,
    port: options.port,
    reusePort: options.reusePort,
  });
  return new StreamDoor(listener, "tcp", options);
}
