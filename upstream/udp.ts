/**
 * Forwarding over UDP (RFC 1035 §4.2.1) with the RFC 5452 defences: every query gets a fresh
 * random ID and a fresh socket (so a fresh random source port), and only a datagram from the
 * upstream's own address and port carrying our ID and question is taken as the reply; anything
 * else is ignored while we keep waiting. A truncated reply (TC=1) is retried over TCP.
 *
 * Replies are read into pooled buffers and copied out: a fresh 64 KiB buffer per query (what
 * `receive()` without one makes) was most of the miss path's garbage and GC time. We offer
 * upstreams 1232 bytes (EDNS), so a buffer of 4 KiB holds any reply they should send; one that
 * fills it may have been cut, and is asked again over TCP like a truncated one.
 */
import { abortable } from "./abortable.ts";
import { describeError, UpstreamError } from "./errors.ts";
import { checkWellFormed, isReplyTo, isTruncated, questionOf, randomId } from "./match.ts";
import type { Transport } from "./transport.ts";
import { withId } from "../dns/mod.ts";

export interface UdpTarget {
  /** Normalised URL, e.g. "udp://9.9.9.9:53". */
  name: string;
  /** An IP address (names are resolved by the caller). */
  host: string;
  port: number;
}

/** Read buffer size: over three times the 1232 bytes we offer upstreams. */
const READ_BUFFER = 4096;
/** Read buffers kept for reuse (1 MiB); more queries at once than this allocate their own. */
const POOLED_BUFFERS = 256;

export class UdpTransport implements Transport {
  readonly name: string;
  #target: UdpTarget;
  #tcp: Transport;
  #sockets = new Set<Deno.DatagramConn>();
  #buffers: Uint8Array[] = [];

  /** `tcp` answers the queries whose UDP reply came back truncated. */
  constructor(target: UdpTarget, tcp: Transport) {
    this.name = target.name;
    this.#target = target;
    this.#tcp = tcp;
  }

  async query(query: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const id = randomId();
    const expected = { id, question: questionOf(query) };
    const outgoing = withId(query, id);
    const socket = this.#open();
    const buffer = this.#buffers.pop() ?? new Uint8Array(READ_BUFFER);
    const closeOnAbort = () => socket.close();
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      if (signal.aborted) throw this.#timeout();
      await abortable(
        socket.send(outgoing, {
          transport: "udp",
          hostname: this.#target.host,
          port: this.#target.port,
        }),
        signal,
        () => this.#timeout(),
      );
      while (true) {
        const [reply, from] = await this.#receive(socket, buffer, signal);
        if (!this.#fromUpstream(from) || !isReplyTo(reply, expected)) continue;
        // A reply that fills the buffer may have been cut short: TCP has all of it.
        if (reply.length === buffer.length) break;
        checkWellFormed(this.name, reply);
        if (!isTruncated(reply)) return reply.slice();
        break;
      }
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (signal.aborted) throw this.#timeout();
      throw new UpstreamError(this.name, "network", describeError(error), { cause: error });
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
      this.#close(socket);
      // After an abort a read may have been under way: that buffer is not reused.
      if (!signal.aborted && this.#buffers.length < POOLED_BUFFERS) this.#buffers.push(buffer);
    }
    return await this.#tcp.query(query, signal);
  }

  close(): void {
    for (const socket of this.#sockets) this.#close(socket);
    this.#tcp.close();
  }

  #open(): Deno.DatagramConn {
    const hostname = this.#target.host.includes(":") ? "::" : "0.0.0.0";
    let socket: Deno.DatagramConn;
    try {
      socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    } catch (error) {
      throw new UpstreamError(
        this.name,
        "network",
        `cannot open a UDP socket: ${describeError(error)}`,
      );
    }
    this.#sockets.add(socket);
    return socket;
  }

  #close(socket: Deno.DatagramConn): void {
    if (!this.#sockets.delete(socket)) return;
    try {
      socket.close();
    } catch {
      // closed by the abort handler already
    }
  }

  async #receive(
    socket: Deno.DatagramConn,
    buffer: Uint8Array,
    signal: AbortSignal,
  ): Promise<[Uint8Array, Deno.Addr]> {
    try {
      return await socket.receive(buffer);
    } catch (error) {
      if (signal.aborted) throw this.#timeout();
      throw error;
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

/** Address equality that tolerates IPv6 spelling and IPv4-mapped IPv6 forms. */
function sameAddress(a: string, b: string): boolean {
  const strip = (text: string) =>
    text.toLowerCase().replace(/^::ffff:/, "").replace(/^\[|\]$/g, "");
  return strip(a) === strip(b);
}
