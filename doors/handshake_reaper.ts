/**
 * Sockets of TLS connections closed before their handshake finished, given back. Deno (2.9)
 * hands out a TLS connection before its handshake, runs the handshake in the background, and
 * closing the connection does not stop it: the handshake goes on waiting for a client that
 * may never send, and keeps the socket open as long as the client keeps its end. The reaper
 * finds such a socket by its two addresses (getsockname(2), getpeername(2) over FFI, as
 * tcp_nodelay.ts finds a listener) and shuts it down, which ends the handshake and frees it.
 *
 * Sockets are looked for in batches, a little after the first is queued, with one pass over
 * the descriptors below the process's limit. Without FFI (no --allow-ffi, not Linux) nothing
 * is reaped and `status` says why.
 */
import { ipv4Text, ipv6Text } from "../net/address_text.ts";
import { descriptorLimit } from "../runtime/descriptor_limit.ts";
import {
  AF_INET,
  AF_INET6,
  type ConnectionCalls,
  openConnectionCalls,
} from "../runtime/libc_sockets.ts";

/** How long queued sockets wait for others to be looked for with them. */
const BATCH_MS = 200;
/** Queued sockets at most: more, and the oldest are left to their clients. */
const MAX_QUEUED = 100_000;
const SHUT_RDWR = 2;
/** Descriptors looked at when the limit is unknown. */
const DEFAULT_SCAN = 65_536;

export class HandshakeReaper {
  /** "on", or why not. */
  readonly status: string;
  /** Sockets reaped so far. */
  reaped = 0;
  readonly #port: number;
  readonly #libc: ConnectionCalls | undefined;
  /** "address port" of each peer whose socket is to be shut down. */
  #queued = new Set<string>();
  #timer?: ReturnType<typeof setTimeout>;

  /** For connections accepted on this process's listening `port`. */
  constructor(port: number) {
    this.#port = port;
    const libc = openConnectionCalls();
    this.#libc = typeof libc === "string" ? undefined : libc;
    this.status = typeof libc === "string" ? `off (${libc})` : "on";
  }

  /** Shuts down, soon, the socket of a connection from `peer` closed before its handshake. */
  reap(peer: Deno.NetAddr): void {
    if (this.#libc === undefined) return;
    if (this.#queued.size >= MAX_QUEUED) return;
    this.#queued.add(`${peer.hostname} ${peer.port}`);
    this.#timer ??= setTimeout(() => this.#sweep(), BATCH_MS);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queued.clear();
  }

  #sweep(): void {
    this.#timer = undefined;
    const libc = this.#libc;
    const wanted = this.#queued;
    this.#queued = new Set();
    if (libc === undefined) return;
    const address = new Uint8Array(128);
    const length = new Uint32Array(1);
    const last = Math.min(descriptorLimit() ?? DEFAULT_SCAN, 1 << 20);
    for (let fd = 3; fd < last && wanted.size > 0; fd++) {
      length[0] = address.length;
      if (libc.getsockname(fd, address, length) !== 0) continue;
      if (portOf(address) !== this.#port) continue;
      length[0] = address.length;
      if (libc.getpeername(fd, address, length) !== 0) continue;
      const peer = peerKey(address);
      if (peer === undefined || !wanted.delete(peer)) continue;
      if (libc.shutdown(fd, SHUT_RDWR) === 0) this.reaped++;
    }
  }
}

/** The port of a sockaddr_in or sockaddr_in6. */
export function portOf(address: Uint8Array): number | undefined {
  const family = address[0] | (address[1] << 8);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  return (address[2] << 8) | address[3];
}

/** "address port" of a sockaddr_in or sockaddr_in6, spelled as Deno spells a peer. */
export function peerKey(address: Uint8Array): string | undefined {
  const family = address[0] | (address[1] << 8);
  const port = (address[2] << 8) | address[3];
  if (family === AF_INET) return `${ipv4Text(address, 4)} ${port}`;
  if (family === AF_INET6) return `${ipv6Text(address, 8)} ${port}`;
  return undefined;
}
