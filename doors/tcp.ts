/**
 * The TCP door (RFC 7766), and the door the DoT door runs behind TLS: each connection is a
 * `StreamConnection` around the resolver, held in a `ConnectionTable`: at most
 * `maxConnections`, at most `maxPerClient` from one client, and at a full door the connection
 * idle the longest gives way to a newcomer (connection_table.ts). A DoT connection counts from
 * its accept, before its TLS handshake, and its idle time runs from there too; one closed
 * before its handshake finished has its socket shut down by the `HandshakeReaper`. Clients
 * outside the allow-list get REFUSED for every query: over TCP the address is proven, so a
 * clear answer costs nothing and beats a timeout. No truncation: a TCP answer takes up to
 * 65535 bytes.
 *
 * With a client directory the door asks who the client is for each query (a reload may have
 * changed it) and passes the identity on; a stranger of a restricted one (CLIENTS_ONLY) is
 * counted and left to the resolver, which refuses it (REFUSED, EDE 18): over TCP the address
 * is proven, so the answer reflects nothing. A DoT client may name its ClientID in the server
 * name it asks for (server_name.ts).
 */
import { encodeReplyTo, Rcode } from "../dns/mod.ts";
import type { ClientInfo, Door } from "../pipeline/types.ts";
import type { ClientDirectory } from "../pipeline/profile.ts";
import type { ClientRefusals } from "../net/rate_limit.ts";
import type { ServerNameReader } from "./server_name.ts";
import { type AnswerDeps, answerQuery } from "./answer_query.ts";
import { acceptLoop } from "./accept_loop.ts";
import type { CidrSet } from "../net/cidr.ts";
import { ConnectionTable, type DoorStats } from "./connection_table.ts";
import { HandshakeReaper } from "./handshake_reaper.ts";
import { type ConnectionOptions, StreamConnection } from "./stream_connection.ts";

export interface StreamDoorOptions extends AnswerDeps, Omit<ConnectionOptions, "answer"> {
  maxConnections: number;
  /** Connections one client address (an IPv6 /64) may hold. */
  maxPerClient: number;
  /** Where the door counts its connections (for the metrics); a fresh one without. */
  stats?: DoorStats;
  /** Without it, every client may ask. */
  allow?: CidrSet;
  /** Who is who (pipeline/profile.ts); without it, the resolver says. */
  directory?: ClientDirectory;
  /** Where strangers refused are counted, by door. */
  refusals?: ClientRefusals;
}

export interface TcpDoorOptions extends StreamDoorOptions {
  hostname: string;
  port: number;
  /** SO_REUSEPORT: several worker processes listen on the port, the kernel spreads clients. */
  reusePort?: boolean;
}

export class StreamDoor {
  readonly addr: Deno.NetAddr;
  readonly #listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  readonly #door: Door;
  readonly #options: StreamDoorOptions;
  readonly #connections: ConnectionTable<StreamConnection>;
  /** For TLS doors: what frees the sockets of handshakes cut short. */
  readonly #reaper?: HandshakeReaper;
  /** For DoT with CLIENT_ID_DOMAIN: the ClientID in each connection's server name. */
  readonly #serverNames?: ServerNameReader;
  readonly #accepting: Promise<void>;
  #draining = false;

  constructor(
    listener: Deno.Listener<Deno.Conn, Deno.NetAddr>,
    door: Door,
    options: StreamDoorOptions,
    serverNames?: ServerNameReader,
  ) {
    this.addr = listener.addr;
    this.#listener = listener;
    this.#door = door;
    this.#options = options;
    this.#serverNames = serverNames;
    this.#connections = new ConnectionTable(options, options.stats);
    if (door === "dot") this.#reaper = new HandshakeReaper(listener.addr.port);
    this.#accepting = acceptLoop({
      listener,
      table: this.#connections,
      reap: this.#reaper && ((peer) => this.#reaper?.reap(peer)),
      closing: () => this.#draining,
      onError: options.onError,
      serve: (conn, client) => this.#serve(conn, client),
    });
  }

  /** Whether sockets of cut-short TLS handshakes are freed: "on", or why not (TLS doors). */
  get reaperStatus(): string | undefined {
    return this.#reaper?.status;
  }

  /** DoT with CLIENT_ID_DOMAIN: whether ClientIDs are read from server names, "on" or why not. */
  get serverNameStatus(): string | undefined {
    return this.#serverNames?.status;
  }

  /** Stops accepting; resolves once every query already read has been answered. */
  async drain(): Promise<void> {
    this.#stopAccepting();
    await this.#accepting;
    await Promise.all(this.#connections.connections().map((connection) => connection.drain()));
  }

  /** Closes the listener and every connection now. */
  async close(): Promise<void> {
    this.#stopAccepting();
    const connections = this.#connections.connections();
    for (const connection of connections) connection.close();
    await this.#accepting;
    await Promise.all(connections.map((connection) => connection.done));
    this.#reaper?.close();
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

  /** Called as soon as the connection is accepted: the server name is read before any await. */
  #serve(conn: Deno.Conn, key: string): void {
    const peer = conn.remoteAddr as Deno.NetAddr;
    const clientId = this.#serverNames?.clientIdOf(peer);
    // Answers are small and go out one by one: no Nagle delay (TLS connections cannot say).
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const address = peer.hostname;
    const client: ClientInfo = clientId === undefined
      ? { address, door: this.#door }
      : { address, door: this.#door, clientId };
    const options = this.#options;
    const { directory } = options;
    const allowed = options.allow?.has(address) ?? true;
    const connection = new StreamConnection(conn, {
      idleTimeoutMs: options.idleTimeoutMs,
      maxInFlight: options.maxInFlight,
      answer: !allowed
        ? (raw) => Promise.resolve(encodeReplyTo(raw, { rcode: Rcode.REFUSED }))
        : directory === undefined
        ? (raw) => answerQuery(options, raw, client)
        : (raw) => answerQuery(options, raw, this.#identified(directory, client)),
    });
    this.#connections.add(connection, key);
    const reaper = this.#reaper;
    let handshaken = reaper === undefined;
    if (!handshaken) {
      // A rejection may be our own close cutting it short: then the socket needs reaping.
      (conn as Deno.TlsConn).handshake().then(() => handshaken = true, () => {});
    }
    void connection.done.finally(() => {
      this.#connections.delete(connection);
      if (!handshaken) reaper?.reap(peer);
    });
  }

  /** The client with who it is now; a stranger is counted and left for the resolver to refuse. */
  #identified(directory: ClientDirectory, client: ClientInfo): ClientInfo {
    const identity = directory.identify(client.clientId, client.address);
    if (identity !== undefined) return { ...client, identity };
    this.#options.refusals?.count(this.#door);
    return client;
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
