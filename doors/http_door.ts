/**
 * The HTTP door (DoH, the JSON API, admin, dashboard, metrics): Deno's HTTP server -- HTTP/1.1,
 * and HTTP/2 over TLS -- on connections the door accepts itself. `Deno.serve`'s own accept loop
 * throws out of the process when accept fails for want of file descriptors (EMFILE), and it
 * holds any number of connections. Here a failed accept is reported, the door pauses and goes
 * on serving the connections it has, and connections are held in a `ConnectionTable`: at most
 * `maxConnections`, the one whose last request came longest ago giving way to a newcomer at a
 * full door. A TLS connection closed before its first request may still be in its handshake:
 * the `HandshakeReaper` frees its socket.
 *
 * Each connection is handed to Deno's HTTP server through `serveHttpOnConnection`, the
 * runtime's own (what `node:http2` serves with); where the runtime has none (Deno Deploy,
 * which also owns the listening socket), `Deno.serve` runs the door as before.
 */
import { acceptLoop } from "./accept_loop.ts";
import { ConnectionTable, type DoorStats, type HeldConnection } from "./connection_table.ts";
import type { HandshakeReaper } from "./handshake_reaper.ts";

/**
 * What a handler learns besides the request: the peer. One object per connection here (the
 * peer does not change within one), where asking the runtime made one per request.
 */
export interface PeerInfo {
  readonly remoteAddr: Deno.NetAddr;
}

type Handler = (request: Request, info: PeerInfo) => Response | Promise<Response>;

export interface HttpDoorOptions {
  hostname: string;
  port: number;
  /** SO_REUSEPORT: several worker processes listen on the port. */
  reusePort?: boolean;
  /** PEM certificate and key: HTTPS, with HTTP/2. */
  tls?: { cert: string; key: string };
  maxConnections: number;
  stats: DoorStats;
  /** Hears of accepts that fail (the door pauses and goes on). */
  onAcceptError: (error: unknown) => void;
  onListen: (addr: Deno.NetAddr) => void;
}

export interface HttpDoor {
  readonly addr: Deno.NetAddr;
  /** Takes no more connections, lets requests under way finish, then closes. */
  shutdown(): Promise<void>;
}

/** The runtime's server for one accepted connection (ext/http/00_serve.ts). */
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (request: Request) => Response | Promise<Response>,
  onError: (error: unknown) => Response,
  onListen: () => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

/** Serves `handler` on the HTTP door; throws, as Deno.serve does, when the port cannot be had. */
export function serveHttp(options: HttpDoorOptions, handler: Handler): HttpDoor {
  const serveOn = serveOnConnection();
  if (serveOn === undefined) {
    return Deno.serve({
      hostname: options.hostname,
      port: options.port,
      reusePort: options.reusePort,
      ...options.tls,
      onListen: options.onListen,
    }, handler);
  }
  return new OwnHttpDoor(options, handler, serveOn);
}

function serveOnConnection(): ServeOnConnection | undefined {
  if (Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined) return undefined;
  // deno-lint-ignore no-explicit-any
  const internal = (Deno as any)[(Deno as any).internal];
  const serveOn = internal?.serveHttpOnConnection;
  return typeof serveOn === "function" ? serveOn : undefined;
}

class OwnHttpDoor implements HttpDoor {
  readonly addr: Deno.NetAddr;
  readonly #listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  readonly #connections: ConnectionTable<HttpConnection>;
  /** Loaded after the door opens (TLS only): nothing to reap before the first connection. */
  #reaper?: HandshakeReaper;
  readonly #accepting: Promise<void>;
  #closing = false;

  constructor(
    readonly options: HttpDoorOptions,
    readonly handler: Handler,
    readonly serveOn: ServeOnConnection,
  ) {
    const tls = options.tls;
    const where = { hostname: options.hostname, port: options.port, reusePort: options.reusePort };
    this.#listener = tls
      ? Deno.listenTls({
        ...where,
        ...tls,
        alpnProtocols: ["h2", "http/1.1"],
      })
      : Deno.listen({ ...where, transport: "tcp" });
    this.addr = this.#listener.addr;
    const limits = { maxConnections: options.maxConnections, maxPerClient: Infinity };
    this.#connections = new ConnectionTable(limits, options.stats);
    if (tls) {
      void import("./handshake_reaper.ts").then(({ HandshakeReaper }) => {
        if (!this.#closing) this.#reaper = new HandshakeReaper(this.addr.port);
      });
    }
    options.onListen(this.addr);
    this.#accepting = acceptLoop({
      listener: this.#listener,
      table: this.#connections,
      reap: tls ? (peer) => this.#reaper?.reap(peer) : undefined,
      closing: () => this.#closing,
      onError: options.onAcceptError,
      serve: (conn, client) => this.#serve(conn, client),
    });
  }

  async shutdown(): Promise<void> {
    this.#closing = true;
    try {
      this.#listener.close();
    } catch {
      // closed already
    }
    await this.#accepting;
    await Promise.all(this.#connections.connections().map((connection) => connection.shutdown()));
    this.#reaper?.close();
  }

  #serve(conn: Deno.Conn, client: string): void {
    const peer = conn.remoteAddr as Deno.NetAddr;
    const connection = new HttpConnection(conn, this.handler, this.serveOn);
    this.#connections.add(connection, client);
    void connection.finished.finally(() => {
      this.#connections.delete(connection);
      if (connection.cutShort) this.#reaper?.reap(peer);
    });
  }
}

/**
 * One accepted connection. Its idle time runs from its last request's arrival: waiting for a
 * handler to settle would cost every request a promise of its own, and requests end within the
 * query budget or the body timeout anyway. Arrivals are numbered, not timed: the table only
 * asks which connection has waited longest, and a clock read per request is dearer than a count.
 */
class HttpConnection implements HeldConnection {
  readonly finished: Promise<void>;
  #server: { shutdown(): Promise<void> };
  #abort = new AbortController();
  #requests = 0;
  #lastRequest = ++arrivals;
  #closed = false;

  constructor(conn: Deno.Conn, handler: Handler, serveOn: ServeOnConnection) {
    const peer: PeerInfo = { remoteAddr: conn.remoteAddr as Deno.NetAddr };
    const counted = (request: Request) => {
      this.#requests++;
      this.#lastRequest = ++arrivals;
      return handler(request, peer);
    };
    const server = serveOn(conn, this.#abort.signal, counted, internalError, () => {});
    this.#server = server;
    this.finished = server.finished.catch(() => {});
  }

  /** Closed by us before any request came: a TLS handshake may still hold its socket. */
  get cutShort(): boolean {
    return this.#closed && this.#requests === 0;
  }

  idleSince(): number {
    return this.#lastRequest;
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
  }

  shutdown(): Promise<void> {
    return this.#server.shutdown().catch(() => {});
  }
}

/** Connections opened and requests arrived, on every HTTP door: the order idleness is told in. */
let arrivals = 0;

function internalError(error: unknown): Response {
  console.error(error);
  return new Response("Internal Server Error", { status: 500 });
}
