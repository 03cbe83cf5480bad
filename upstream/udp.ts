/**
 * Forwarding over UDP (RFC 1035 §4.2.1) with the RFC 5452 defences: every query gets a fresh
 * random ID, goes out from a socket no other query is using at the time, on a port the system
 * picked at random, and only a datagram from the upstream's own address and port carrying our
 * ID and question is taken as the reply; anything else is ignored while we keep waiting. A
 * truncated reply (TC=1) is retried over TCP.
 *
 * Sockets are reused, within bounds: opening and closing one per query showed in the miss
 * path's CPU (`deno task bench:all`, miss rows). A socket whose query got its reply goes back to
 * a small idle pool and serves at most `PORT_USES` queries, one at a time, for at most
 * `PORT_LIFETIME_MS` (an idle port is closed when its time is up, not kept for the next burst);
 * a query that failed (a timeout may mean a late or forged reply is on its way) closes its
 * socket. So queries under way at once always leave from different ports (RFC 5452 §9.2), and a
 * port an off-path attacker might learn is gone within seconds, as dnsmasq's small set of
 * random ports is.
 *
 * Replies are read into each socket's own 4 KiB buffer and copied out (a fresh 64 KiB buffer
 * per read, what `receive()` without one makes, was most of the miss path's GC). We offer
 * upstreams 1232 bytes (EDNS), so 4 KiB holds any reply they should send; one that fills it
 * may have been cut, and is asked again over TCP like a truncated one.
 *
 * Where FFI is granted (Linux, --allow-ffi), a query leaves by sendto(2) on the socket's own
 * descriptor, called directly: Deno's `send` is an asynchronous op that takes the address as
 * an object to convert, and was the largest single item in a CPU profile of forwarded DoH
 * queries. The socket stays Deno's, and Deno's `receive` waits for the reply.
 * A send the direct call does not make whole (a full send buffer), or a socket whose
 * descriptor is not found, goes through Deno's `send` as before; elsewhere (Deno Deploy, no
 * permission) every send does.
 */
import { describeError, UpstreamError } from "./errors.ts";
import { checkWellFormed, isReplyTo, randomId } from "./match.ts";
import { type SocketBudget, upstreamSockets } from "../runtime/descriptor_limit.ts";
import type { Transport } from "./transport.ts";
import type { Abortable, Deadline } from "../runtime/deadline.ts";
import { isTruncated, setId, transientCopy } from "../dns/mod.ts";
import { parseAddress } from "../net/cidr.ts";
import {
  AF_INET,
  AF_INET6,
  findSocket,
  type Libc,
  lowestFreeDescriptor,
  openLibc,
  setSockaddrPort,
  sockaddrOf,
} from "../runtime/libc_sockets.ts";

export interface UdpTarget {
  /** Normalised URL, e.g. "udp://9.9.9.9:53". */
  name: string;
  /** An IP address (names are resolved by the caller). */
  host: string;
  port: number;
}

export interface UdpTransportOptions {
  /** Clock for a port's lifetime, injectable for tests. */
  now?: () => number;
  /** Queries sent by sendto(2) directly where FFI is granted (default true); false: by Deno. */
  direct?: boolean;
  /** What bounds the sockets open at once; the process's (`upstreamSockets`) by default. */
  sockets?: SocketBudget;
}

/** Read buffer size: over three times the 1232 bytes we offer upstreams. */
const READ_BUFFER = 4096;
/** Longest query sent directly: ours are a question and an OPT record, under 300 bytes. */
const OUTGOING_BUFFER = 512;
/** Queries one source port serves, one after another, before it is closed. */
export const PORT_USES = 64;
/** Longest a source port is reused, milliseconds. */
export const PORT_LIFETIME_MS = 5_000;
/** Idle sockets kept; more queries at once than this open their own and close them after. */
const IDLE_PORTS = 128;

/**
 * A socket and its read buffer, with what bounds its reuse. It follows its query's deadline
 * (runtime/deadline.ts): when that runs out, the socket is closed, which settles its pending
 * send or receive at once (Deno rejects it), so this one tie bounds the whole wait and the send
 * needs no race of its own. A listener on an AbortSignal did the same, with the signal, for
 * every uncached query to allocate (`deno task bench:all`, miss rows).
 */
class Port implements Abortable {
  readonly socket: Deno.DatagramConn;
  readonly buffer = new Uint8Array(READ_BUFFER);
  uses = 1;
  readonly openedAt: number;
  /** The socket's descriptor for direct sends; -1: send through Deno. */
  readonly fd: number;
  readonly #close: (socket: Deno.DatagramConn) => void;

  constructor(
    socket: Deno.DatagramConn,
    openedAt: number,
    fd: number,
    close: (socket: Deno.DatagramConn) => void,
  ) {
    this.socket = socket;
    this.openedAt = openedAt;
    this.fd = fd;
    this.#close = close;
  }

  abortWith(): void {
    this.#close(this.socket);
  }
}

/** What sending by sendto(2) directly takes: the calls, and the upstream as a sockaddr. */
interface DirectSend {
  libc: Libc;
  address: Uint8Array<ArrayBuffer>;
  family: number;
}

export class UdpTransport implements Transport {
  readonly name: string;
  #target: UdpTarget;
  #tcp: Transport;
  #now: () => number;
  #budget: SocketBudget;
  /** Every open socket, idle or in use, so `close` can close them all; with its descriptor. */
  #sockets = new Map<Deno.DatagramConn, number>();
  /** Direct sends, once asked for (null: not here); undefined until the first socket opens. */
  #direct?: DirectSend | null;
  /** Queries sent by sendto(2) directly (tests read it). */
  sentDirect = 0;
  #idle: Port[] = [];
  /** Closes idle ports whose lifetime is over; set while any port is idle. */
  #sweep?: ReturnType<typeof setTimeout>;
  /** Where a query sent directly gets our ID (`#sendDirect`). */
  readonly #outgoing = new Uint8Array(OUTGOING_BUFFER);
  /** `#close` for the ports, made once. */
  readonly #closeSocket = (socket: Deno.DatagramConn) => this.#close(socket);

  /** `tcp` answers the queries whose UDP reply came back truncated. */
  constructor(target: UdpTarget, tcp: Transport, options: UdpTransportOptions = {}) {
    this.name = target.name;
    this.#target = target;
    this.#tcp = tcp;
    this.#now = options.now ?? Date.now;
    this.#budget = options.sockets ?? upstreamSockets;
    if (options.direct === false) this.#direct = null;
  }

  async query(query: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
    const id = randomId();
    const port = this.#take();
    const { socket, buffer } = port;
    deadline.onAbort(port);
    let answered = false;
    try {
      if (deadline.aborted) throw this.#timeout();
      if (!this.#sendDirect(port.fd, query, id)) {
        // A transient copy (dns/transient.ts) with our ID: it lives as long as this query.
        const outgoing = setId(transientCopy(query), id);
        await socket.send(outgoing, {
          transport: "udp",
          hostname: this.#target.host,
          port: this.#target.port,
        });
      }
      while (true) {
        // A receive that fails when the deadline ran out is a timeout (the catch below says so).
        const [reply, from] = await socket.receive(buffer);
        if (!this.#fromUpstream(from) || !isReplyTo(reply, id, query)) continue;
        answered = true;
        // A reply that fills the buffer may have been cut short: TCP has all of it.
        if (reply.length === buffer.length) break;
        checkWellFormed(this.name, reply);
        // Out of the port's buffer into the transient slab (dns/transient.ts): answers live
        // as long as their query, and the cache keeps a copy of its own.
        if (!isTruncated(reply)) return transientCopy(reply);
        break;
      }
    } catch (error) {
      answered = false;
      if (error instanceof UpstreamError) throw error;
      if (deadline.aborted) throw this.#timeout();
      throw new UpstreamError(this.name, "network", describeError(error), { cause: error });
    } finally {
      deadline.offAbort(port);
      this.#release(port, answered && !deadline.aborted);
    }
    return await this.#tcp.query(query, deadline);
  }

  close(): void {
    for (const socket of [...this.#sockets.keys()]) this.#close(socket);
    this.#idle = [];
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#tcp.close();
  }

  /** An idle port still within its bounds, or a new one. */
  #take(): Port {
    const now = this.#now();
    for (let port = this.#idle.pop(); port !== undefined; port = this.#idle.pop()) {
      if (now - port.openedAt < PORT_LIFETIME_MS) {
        port.uses++;
        return port;
      }
      this.#close(port.socket);
    }
    const socket = this.#open();
    return new Port(socket, now, this.#sockets.get(socket) ?? -1, this.#closeSocket);
  }

  /** Back to the idle pool when its query was answered and it has uses left; closed if not. */
  #release(port: Port, reusable: boolean): void {
    if (reusable && port.uses < PORT_USES && this.#idle.length < IDLE_PORTS) {
      this.#idle.push(port);
      this.#sweepLater();
    } else {
      this.#close(port.socket);
    }
  }

  /** Arms the sweep for the oldest idle port's end of life, unless it is armed already. */
  #sweepLater(): void {
    if (this.#sweep !== undefined || this.#idle.length === 0) return;
    const oldest = this.#idle.reduce((min, port) => Math.min(min, port.openedAt), Infinity);
    const left = Math.max(0, oldest + PORT_LIFETIME_MS - this.#now());
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      const now = this.#now();
      this.#idle = this.#idle.filter((port) => {
        if (now - port.openedAt < PORT_LIFETIME_MS) return true;
        this.#close(port.socket);
        return false;
      });
      this.#sweepLater();
    }, left);
  }

  #open(): Deno.DatagramConn {
    const hostname = this.#target.host.includes(":") ? "::" : "0.0.0.0";
    const direct = this.#direct === undefined ? this.#openDirect() : this.#direct;
    if (!this.#budget.take()) {
      throw new UpstreamError(
        this.name,
        "busy",
        `${this.#budget.max} upstream UDP sockets in use, no room for another`,
      );
    }
    const likely = direct ? lowestFreeDescriptor(direct.libc) : undefined;
    let socket: Deno.DatagramConn;
    try {
      socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    } catch (error) {
      this.#budget.give();
      throw new UpstreamError(
        this.name,
        "network",
        `cannot open a UDP socket: ${describeError(error)}`,
      );
    }
    this.#sockets.set(socket, direct ? descriptorOf(socket, direct, likely) : -1);
    return socket;
  }

  #openDirect(): DirectSend | null {
    const libc = openLibc();
    const family = this.#target.host.includes(":") ? AF_INET6 : AF_INET;
    const bytes = parseAddress(this.#target.host);
    // A zone (fe80::1%eth0) would need its interface index: Deno sends to those.
    const address =
      typeof libc === "string" || bytes === undefined || this.#target.host.includes("%")
        ? null
        : sockaddrOf(bytes, family);
    if (typeof libc === "string" || address === null) return this.#direct = null;
    setSockaddrPort(address, this.#target.port);
    return this.#direct = { libc, address, family };
  }

  /** Sends `bytes` by sendto(2) on `fd`; false when it did not go whole (send through Deno). */
  /**
   * Sends `query` with our `id` by sendto(2) on `fd`; false when it did not go whole (send
   * through Deno). The call is synchronous, so the bytes with our ID are made in one buffer
   * the transport keeps for this, not a copy per query.
   */
  #sendDirect(fd: number, query: Uint8Array, id: number): boolean {
    const direct = this.#direct;
    const outgoing = this.#outgoing;
    const length = query.length;
    if (fd < 0 || !direct || length > outgoing.length) return false;
    outgoing.set(query);
    setId(outgoing, id);
    const sent = direct.libc.sendto(
      fd,
      outgoing,
      lengths[length] ??= BigInt(length),
      0,
      direct.address,
      direct.address.length,
    );
    if (Number(sent) !== length) return false;
    this.sentDirect++;
    return true;
  }

  #close(socket: Deno.DatagramConn): void {
    const fd = this.#sockets.get(socket);
    if (fd === undefined) return;
    this.#sockets.delete(socket);
    this.#budget.give();
    try {
      socket.close();
    } catch {
      // closed already
    }
  }

  /** RFC 5452 §9.1: the reply must come from where the query went. */
  #fromUpstream(from: Deno.Addr): boolean {
    if (from.transport !== "udp") return false;
    return from.port === this.#target.port && sameAddress(from.hostname, this.#target.host);
  }

  #timeout(): UpstreamError {
    return new UpstreamError(this.name, "timeout", "no reply in time");
  }
}

/**
 * The descriptor of a socket just opened, for direct sends: the one it most likely took, checked,
 * never a scan of every descriptor (a busy gateway holds thousands, and sockets open every
 * `PORT_USES` queries); -1 when it is not that one (the socket then sends through Deno).
 */
function descriptorOf(socket: Deno.DatagramConn, direct: DirectSend, likely?: number): number {
  if (likely === undefined) return -1;
  const { port } = socket.addr as Deno.NetAddr;
  const found = findSocket(direct.libc, port, "udp", likely, false);
  return found?.family === direct.family ? found.fd : -1;
}

/** size_t lengths as FFI takes them: a few recur, made once each. */
const lengths: bigint[] = [];

/** Address equality that tolerates IPv6 spelling and IPv4-mapped IPv6 forms. */
function sameAddress(a: string, b: string): boolean {
  // The same spelling, as Deno gives it back for the address we sent to: nothing to rewrite.
  if (a === b) return true;
  const strip = (text: string) =>
    text.toLowerCase().replace(/^::ffff:/, "").replace(/^\[|\]$/g, "");
  return strip(a) === strip(b);
}
