/**
 * The UDP door (RFC 1035 §4.2.1): one datagram, one answer, no bigger than the client can take
 * (512 bytes without EDNS, its EDNS size up to `maxSize` with it), cut with TC=1 otherwise.
 * UDP source addresses can be forged, so before any work: datagrams without a whole header and
 * responses are ignored (answering those can loop between servers), clients outside the
 * allow-list get silence, and the rate limiter decides between an answer, an empty TC=1
 * answer and silence. Queries are resolved concurrently; answers go out as they finish.
 *
 * What a forged address can draw is bounded in bytes too: a client that has not proven its
 * address (address_proof.ts: a server cookie of ours, or a recent query over TCP) gets at most
 * `unprovenMaxSize` bytes an answer, cut with TC=1 beyond, so it asks again over TCP. Every
 * answer to a query with a cookie carries a fresh server cookie (RFC 7873 §5.2), and a
 * malformed COOKIE option is FORMERR (§5.2.2).
 *
 * With a restricted client directory (CLIENTS_ONLY), an address it does not know gets silence,
 * as one outside the allow-list does, and is counted: a REFUSED to a forged address would make
 * us a reflector, and a real client of ours learns its mistake over TCP, where it is told.
 */
import { type QueryCookie, queryCookie, withCookie } from "../dns/cookie.ts";
import {
  DnsWireError,
  encodeReplyTo,
  hasHeader,
  isResponse,
  Rcode,
  transientCopy,
  truncateAnswer,
  udpPayloadLimit,
} from "../dns/mod.ts";
import type { AddressProof } from "./address_proof.ts";
import { type AnswerDeps, failed, unresolved } from "./answer_query.ts";
import type { CidrSet } from "../net/cidr.ts";
import type { ClientRefusals, RateLimiter } from "../net/rate_limit.ts";
import type { ClientDirectory, Identity } from "../pipeline/profile.ts";
import type { Resolution } from "../pipeline/resolver.ts";
import type { ClientInfo, MaybePromise } from "../pipeline/types.ts";
import { type DirectSocket, directSocket } from "./udp_direct.ts";
import { bindSharedSocket, type SharedUdpSocket } from "./udp_shared.ts";
import type { SharedDatagramCalls } from "../runtime/libc_sockets.ts";

export interface UdpDoorOptions extends AnswerDeps {
  hostname: string;
  port: number;
  /** Largest answer sent, whatever size the client's EDNS offers (UDP_MAX_SIZE). */
  maxSize: number;
  /** Without it, no rate limit. */
  limiter?: RateLimiter;
  /** Without it, every client may ask. */
  allow?: CidrSet;
  /** Use sendto(2)/recvfrom(2) where they can be had (udp_direct.ts); true by default. */
  direct?: boolean;
  /**
   * Share the port with other workers (WORKERS): a socket of our own with SO_REUSEPORT, opened
   * with these calls (udp_shared.ts), instead of Deno's.
   */
  shared?: SharedDatagramCalls;
  /** Who has proven their address; without it, no client has, and no cookies are given. */
  proof?: AddressProof;
  /** Largest answer a client that has not proven its address gets (UDP_UNPROVEN_MAX_SIZE). */
  unprovenMaxSize?: number;
  /** Who is who (pipeline/profile.ts); without it, the resolver says. */
  directory?: ClientDirectory;
  /** Where strangers silenced are counted. */
  refusals?: ClientRefusals;
}

/** What the door has done, for metrics. */
export interface UdpDoorStats {
  /** Answers cut with TC=1 because the client had not proven its address. */
  unprovenTruncated: number;
  /** Answers that carried a server cookie. */
  cookiesGiven: number;
}

/** Queries resolved at once; datagrams beyond it are dropped (UDP clients retry). */
const MAX_IN_FLIGHT = 10_000;
/** The largest UDP payload; a read buffer this big never cuts a datagram short. */
const MAX_DATAGRAM = 65_535;
/** Datagrams read directly after one of Deno's receives, at most. */
const DIRECT_BURST = 64;

export class UdpDoor {
  readonly addr: Deno.NetAddr;
  /** Deno's socket; undefined when the door has a shared one. */
  readonly #socket: Deno.DatagramConn | undefined;
  readonly #shared: SharedUdpSocket | undefined;
  readonly #options: UdpDoorOptions;
  /** Queries being answered; `drain` waits for none. */
  #inFlight = 0;
  /** Settles when none is in flight any more, once `drain` has asked. */
  #idle: Promise<void> | undefined;
  #onIdle: (() => void) | undefined;
  readonly #receiving: Promise<void>;
  readonly #direct: DirectSocket | undefined;
  /** How datagrams go: "sendto(2)/recvfrom(2)", or Deno's ops and why (startup lines). */
  readonly datagramPath: string;
  #draining = false;
  readonly stats: UdpDoorStats = { unprovenTruncated: 0, cookiesGiven: 0 };

  /** Binds the socket; throws (as Deno.listenDatagram does) when the port cannot be had. */
  constructor(options: UdpDoorOptions) {
    this.#options = options;
    if (options.shared !== undefined) {
      this.#shared = this.#direct = bindSharedSocket(
        options.shared,
        options.hostname,
        options.port,
      );
      this.addr = this.#shared.addr;
      this.datagramPath = "sendto(2)/recvfrom(2) on a socket of each worker's (SO_REUSEPORT)";
      this.#receiving = this.#receiveShared(this.#shared);
      return;
    }
    this.#socket = Deno.listenDatagram({
      transport: "udp",
      hostname: options.hostname,
      port: options.port,
    });
    this.addr = this.#socket.addr as Deno.NetAddr;
    const direct = options.direct === false ? "turned off" : directSocket(this.addr.port);
    this.#direct = typeof direct === "string" ? undefined : direct;
    this.datagramPath = typeof direct === "string"
      ? `Deno's send and receive (sendto(2)/recvfrom(2): ${direct})`
      : "sendto(2)/recvfrom(2)";
    this.#receiving = this.#receive(this.#socket);
  }

  /** Stops taking queries; resolves once every answer under way has been sent. */
  async drain(): Promise<void> {
    this.#draining = true;
    if (this.#inFlight === 0) return;
    await (this.#idle ??= new Promise<void>((resolve) => this.#onIdle = resolve));
  }

  /** Closes the socket, whatever is still under way. */
  async close(): Promise<void> {
    this.#draining = true;
    this.#direct?.close();
    try {
      this.#socket?.close();
    } catch {
      // already closed
    }
    await this.#receiving;
  }

  async #receive(socket: Deno.DatagramConn): Promise<void> {
    // One receive at a time per socket, so one buffer serves them all; each query is copied.
    const buffer = new Uint8Array(MAX_DATAGRAM);
    while (!this.#draining) {
      let datagram: Uint8Array;
      let peer: Deno.Addr;
      try {
        [datagram, peer] = await socket.receive(buffer);
      } catch (error) {
        if (this.#draining || error instanceof Deno.errors.BadResource) return;
        this.#options.onError?.(error);
        continue;
      }
      if (this.#draining) return;
      this.#take(datagram, peer as Deno.NetAddr);
      // What else is queued already, without a trip through Deno's receive op each; a bounded
      // burst, so the answers under way get their turn.
      const direct = this.#direct;
      for (let burst = 0; direct !== undefined && burst < DIRECT_BURST; burst++) {
        const next = direct.receiveNow(buffer);
        if (next === undefined) break;
        this.#take(next[0], next[1]);
      }
    }
  }

  /** The same loop on a shared socket: what is queued, a bounded burst at a time, then a wait. */
  async #receiveShared(socket: SharedUdpSocket): Promise<void> {
    const buffer = new Uint8Array(MAX_DATAGRAM);
    while (!this.#draining) {
      for (let burst = 0; burst < DIRECT_BURST; burst++) {
        const next = socket.receiveNow(buffer);
        if (next === undefined) break;
        this.#take(next[0], next[1]);
      }
      if (!await socket.readable()) return;
    }
  }

  #take(datagram: Uint8Array, peer: Deno.NetAddr): void {
    const options = this.#options;
    if (!hasHeader(datagram) || isResponse(datagram)) return;
    const address = peer.hostname;
    if (options.allow !== undefined && !options.allow.has(address)) return;
    const identity = options.directory?.identify(undefined, address);
    if (identity === undefined && options.directory !== undefined) {
      options.refusals?.count("udp");
      return;
    }
    const decision = options.limiter?.check(address) ?? "answer";
    if (decision === "drop") return;
    // A copy from the transient slab (dns/transient.ts): it lives as long as this query.
    const raw = transientCopy(datagram);
    if (decision === "truncate") {
      const reply = encodeReplyTo(raw, { truncated: true });
      if (reply !== undefined) void this.#send(reply, peer);
      return;
    }
    if (this.#inFlight >= MAX_IN_FLIGHT) return;
    this.#answer(raw, peer, identity);
  }

  /**
   * One query, counted in flight until its answer is sent. Not an async function: an answer
   * the resolver gives at once (a cache hit) is sent at once, and one to wait for costs a then
   * on the resolver's promise, not a frame and a promise more (it runs per query). Failures
   * are answers, as answerQuery (answer_query.ts) makes them for the stream doors; whatever
   * still escapes is ours to report.
   */
  #answer(raw: Uint8Array, peer: Deno.NetAddr, identity?: Identity): void {
    this.#inFlight++;
    const options = this.#options;
    let resolution: MaybePromise<Resolution>;
    let cookie: QueryCookie | undefined;
    try {
      const address = peer.hostname;
      try {
        cookie = queryCookie(raw);
      } catch (error) {
        if (!(error instanceof DnsWireError)) throw error;
        return this.#sendLast(encodeReplyTo(raw, { rcode: Rcode.FORMERR }), peer);
      }
      const client: ClientInfo = identity === undefined
        ? { address, door: "udp" }
        : { address, door: "udp", identity };
      try {
        resolution = options.resolver.resolve(raw, client);
      } catch (error) {
        return this.#sendLast(unresolved(options, raw, error), peer);
      }
    } catch (error) {
      options.onError?.(error);
      return this.#landed();
    }
    if (!(resolution instanceof Promise)) return this.#reply(resolution, raw, peer, cookie);
    resolution.then(
      (resolved) => this.#reply(resolved, raw, peer, cookie),
      (error) => this.#sendLast(unresolved(options, raw, error), peer),
    );
  }

  /** The resolution fitted for this client (SERVFAIL if that fails) and sent. */
  #reply(
    resolution: Resolution,
    raw: Uint8Array,
    peer: Deno.NetAddr,
    cookie: QueryCookie | undefined,
  ): void {
    let reply: Uint8Array | undefined;
    try {
      reply = this.#fit(resolution.bytes, resolution.head.edns?.udpSize, peer.hostname, cookie);
    } catch (error) {
      reply = failed(this.#options, raw, error);
    }
    this.#sendLast(reply, peer);
  }

  /** Sends a query's reply, if it has one; the query is out of flight once it is sent. */
  #sendLast(reply: Uint8Array | undefined, peer: Deno.NetAddr): void {
    let sending: Promise<void> | undefined;
    try {
      sending = reply === undefined ? undefined : this.#send(reply, peer);
    } catch (error) {
      this.#options.onError?.(error);
    }
    if (sending === undefined) this.#landed();
    else sending.then(this.#landed, this.#landed);
  }

  /** A query is out of flight; `drain` hears when none is left. */
  readonly #landed = (): void => {
    if (--this.#inFlight === 0 && this.#onIdle !== undefined) this.#onIdle();
  };

  /**
   * The answer as sent: with a fresh server cookie when the query had a cookie, cut to what
   * the client's EDNS size, UDP_MAX_SIZE and (for a client that has not proven its address)
   * UDP_UNPROVEN_MAX_SIZE allow.
   */
  #fit(
    bytes: Uint8Array,
    ednsSize: number | undefined,
    address: string,
    cookie: QueryCookie | undefined,
  ): Uint8Array {
    const { proof, maxSize, unprovenMaxSize } = this.#options;
    const limit = udpPayloadLimit(ednsSize, maxSize);
    if (proof === undefined) return truncateAnswer(bytes, limit);
    if (cookie !== undefined) {
      const given = withCookie(bytes, cookie.client, proof.serverCookie(address, cookie.client));
      if (given !== bytes) this.stats.cookiesGiven++;
      bytes = given;
    }
    if (
      unprovenMaxSize === undefined || bytes.length <= unprovenMaxSize ||
      limit <= unprovenMaxSize ||
      proof.proves(address, cookie)
    ) {
      return truncateAnswer(bytes, limit);
    }
    this.stats.unprovenTruncated++;
    return truncateAnswer(bytes, unprovenMaxSize);
  }

  /** Sends directly when it can (undefined: done); else through Deno, settling either way. */
  #send(reply: Uint8Array, peer: Deno.NetAddr): Promise<void> | undefined {
    if (this.#direct?.send(reply, peer)) return undefined;
    if (this.#socket === undefined) return this.#shared!.sendWhenWritable(reply, peer);
    // The client is unreachable or gone: UDP promises nothing more.
    return this.#socket.send(reply, peer).then(ignore, ignore);
  }
}

function ignore(): void {}
