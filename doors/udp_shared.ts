/**
 * The UDP door's socket when several workers share its port (WORKERS): opened over FFI with
 * SO_REUSEPORT, which Deno's UDP sockets do not set (they set SO_REUSEADDR only, and one
 * socket would get every datagram), so each worker binds its own and the kernel spreads
 * datagrams over them by source address and port. Deno never sees this socket: poll(2), run off
 * the main thread, says when a datagram is queued; recvfrom(2) and sendto(2) read and answer
 * it (udp_direct.ts); a send that finds the buffer full waits for room once, at most a second,
 * all such sends on one wait (one poll, so one thread, however many there are).
 * Closing shuts the socket down, which wakes a waiting poll, and frees the descriptor once no
 * poll holds it (its number could otherwise be another socket's under a poll still running).
 * Linux with --allow-ffi only: elsewhere `sharedSocketCalls` says why, and the door falls back
 * to Deno's socket in the first worker alone.
 */
import { parseAddress } from "../net/cidr.ts";
import {
  AF_INET,
  AF_INET6,
  openSharedDatagramCalls,
  setSockaddrPort,
  type SharedDatagramCalls,
  sockaddrOf,
} from "../runtime/libc_sockets.ts";
import { directCallsOn, type DirectSocket } from "./udp_direct.ts";

const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEPORT = 15;
const SHUT_RDWR = 2;
const POLLIN = 0x1;
const POLLOUT = 0x4;
/** A wait bounded all the same: a poll that was not woken returns and is asked again. */
const POLL_TIMEOUT_MS = 1000;
/** errno values Deno names, so a port that cannot be had reads as Deno would say it. */
const ERRORS: Record<number, [new (message: string) => Error, string]> = {
  13: [Deno.errors.PermissionDenied, "Permission denied"],
  98: [Deno.errors.AddrInUse, "Address already in use"],
  99: [Deno.errors.AddrNotAvailable, "Cannot assign requested address"],
};

export interface SharedUdpSocket extends DirectSocket {
  readonly addr: Deno.NetAddr;
  /** Resolves true once a datagram may be queued, false once the socket is closed. */
  readable(): Promise<boolean>;
  /** Sends `bytes` once the socket has room (at most a second); dropped otherwise. */
  sendWhenWritable(bytes: Uint8Array, peer: Deno.NetAddr): Promise<void>;
}

/** The calls a shared socket on `hostname` needs, or why it cannot have them here. */
export function sharedSocketCalls(hostname: string): SharedDatagramCalls | string {
  if (parseAddress(hostname) === undefined) return `DNS_HOST "${hostname}" is not an IP address`;
  return openSharedDatagramCalls();
}

/**
 * Opens and binds a UDP socket with SO_REUSEPORT on `hostname`:`port`. Throws as
 * Deno.listenDatagram does when the port cannot be had.
 */
export function bindSharedSocket(
  calls: SharedDatagramCalls,
  hostname: string,
  port: number,
): SharedUdpSocket {
  const bytes = parseAddress(hostname)!;
  const mapped = bytes.subarray(0, 12).every((byte, i) => byte === (i < 10 ? 0 : 0xff));
  const family = mapped ? AF_INET : AF_INET6;
  const fd = calls.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw systemError(calls, "socket");
  const address = sockaddrOf(bytes, family)!;
  setSockaddrPort(address, port);
  if (
    calls.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, new Int32Array([1]), 4) !== 0 ||
    calls.bind(fd, address, address.length) !== 0
  ) {
    const error = systemError(calls, "bind");
    calls.close(fd);
    throw error;
  }
  const bound = new Uint8Array(address.length);
  calls.getsockname(fd, bound, new Uint32Array([bound.length]));
  const addr = { transport: "udp" as const, hostname, port: (bound[2] << 8) | bound[3] };
  return new SharedSocket(calls, fd, family, addr);
}

class SharedSocket implements SharedUdpSocket {
  readonly addr: Deno.NetAddr;
  readonly #calls: SharedDatagramCalls;
  readonly #fd: number;
  readonly #direct: DirectSocket;
  /** The pollfd the receive loop waits with: one wait for datagrams at a time. */
  readonly #incoming: Uint8Array<ArrayBuffer>;
  /** Polls running on the descriptor: it is freed when none is and the socket is closed. */
  #polls = 0;
  /** The one wait for room to send, while sends wait for it. */
  #room: Promise<void> | undefined;
  #closed = false;
  #freed = false;

  constructor(calls: SharedDatagramCalls, fd: number, family: number, addr: Deno.NetAddr) {
    this.#calls = calls;
    this.#fd = fd;
    this.#direct = directCallsOn(calls, fd, family);
    this.#incoming = pollFd(fd, POLLIN);
    this.addr = addr;
  }

  send(bytes: Uint8Array, peer: Deno.NetAddr): boolean {
    return this.#direct.send(bytes, peer);
  }

  receiveNow(buffer: Uint8Array<ArrayBuffer>): [Uint8Array, Deno.NetAddr] | undefined {
    return this.#direct.receiveNow(buffer);
  }

  async readable(): Promise<boolean> {
    if (this.#closed) return false;
    await this.#poll(this.#incoming);
    return !this.#closed;
  }

  async sendWhenWritable(bytes: Uint8Array, peer: Deno.NetAddr): Promise<void> {
    if (this.#closed) return;
    await (this.#room ??= this.#poll(pollFd(this.#fd, POLLOUT)).finally(() => {
      this.#room = undefined;
    }));
    this.#direct.send(bytes, peer);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#direct.close();
    // On an unconnected UDP socket this returns ENOTCONN, and wakes the polls all the same.
    this.#calls.shutdown(this.#fd, SHUT_RDWR);
    this.#free();
  }

  async #poll(pollfd: Uint8Array<ArrayBuffer>): Promise<void> {
    this.#polls++;
    try {
      await this.#calls.poll(pollfd, 1n, POLL_TIMEOUT_MS);
    } finally {
      this.#polls--;
      this.#free();
    }
  }

  #free(): void {
    if (!this.#closed || this.#polls > 0 || this.#freed) return;
    this.#freed = true;
    this.#calls.close(this.#fd);
  }
}

/** struct pollfd { int fd; short events; short revents; }, little-endian. */
function pollFd(fd: number, events: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setInt32(0, fd, true);
  bytes[4] = events;
  return bytes;
}

/** What the last call's errno says, as the error Deno throws for it where it names one. */
function systemError(calls: SharedDatagramCalls, call: string): Error {
  const location = calls.__errno_location();
  const errno = location === null ? 0 : new Deno.UnsafePointerView(location).getInt32();
  const [Kind, text] = ERRORS[errno] ?? [Error, `${call}(2) failed`];
  return new Kind(`${text} (os error ${errno})`);
}
