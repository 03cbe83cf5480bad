/**
 * Replies of the UDP door through sendto(2) called directly (libc_sockets.ts: Linux with
 * --allow-ffi). Deno's `send` is an asynchronous op around the same system call: a fixed-answer
 * Deno UDP server spent ~8.0 µs of CPU per answer with it and ~7.0 µs with this, and a cached
 * answer of the gateway ~11 µs in all. The door's socket is Deno's and non-blocking, so a call
 * never waits; one that fails (a full send buffer, an address this cannot spell) returns false
 * and the door sends through Deno as before. Elsewhere (Deno Deploy, no permission) there is no
 * direct sender and Deno sends everything.
 */
import { parseAddress } from "./cidr.ts";
import { AF_INET, AF_INET6, findSocket, type Libc, openLibc } from "./libc_sockets.ts";

export interface DirectSender {
  /** True when the datagram went out; false to send it another way. */
  send(bytes: Uint8Array, peer: Deno.NetAddr): boolean;
  /** Before the socket closes: its descriptor number may soon be another socket's. */
  close(): void;
}

/** Peer addresses remembered, spelled as sockaddrs; emptied when full. */
const REMEMBERED = 4096;
const SOCKADDR_IN = 16;
const SOCKADDR_IN6 = 28;

/** size_t arguments as FFI takes them: a few lengths recur, made once each. */
const lengths: bigint[] = [];

/** A direct sender for this process's UDP socket on `port`, or why there is none. */
export function directSender(port: number): DirectSender | string {
  const libc = openLibc();
  if (typeof libc === "string") return libc;
  const socket = findSocket(libc, port, "udp");
  if (socket === undefined) return "socket not found";
  return new SocketSender(libc, socket.fd, socket.family);
}

class SocketSender implements DirectSender {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #family: number;
  /** sockaddr bytes by address text (port bytes written per send); null: cannot spell it. */
  readonly #addresses = new Map<string, Uint8Array | null>();
  #open = true;

  constructor(libc: Libc, fd: number, family: number) {
    this.#libc = libc;
    this.#fd = fd;
    this.#family = family;
  }

  send(bytes: Uint8Array, peer: Deno.NetAddr): boolean {
    if (!this.#open) return false;
    const address = this.#sockaddr(peer.hostname);
    if (address === null) return false;
    address[2] = peer.port >> 8;
    address[3] = peer.port & 0xff;
    const length = bytes.length;
    const sent = this.#libc.sendto(
      this.#fd,
      bytes,
      lengths[length] ??= BigInt(length),
      0,
      address,
      address.length,
    );
    return Number(sent) === length;
  }

  close(): void {
    this.#open = false;
  }

  #sockaddr(hostname: string): Uint8Array | null {
    let address = this.#addresses.get(hostname);
    if (address === undefined) {
      address = spell(hostname, this.#family);
      if (this.#addresses.size >= REMEMBERED) this.#addresses.clear();
      this.#addresses.set(hostname, address);
    }
    return address;
  }
}

/** The sockaddr for `hostname` on a socket of `family`, port left 0; null when it has none. */
function spell(hostname: string, family: number): Uint8Array | null {
  // A zone (fe80::1%eth0) would need its interface index: Deno sends those.
  if (hostname.includes("%")) return null;
  const bytes = parseAddress(hostname);
  if (bytes === undefined) return null;
  if (family === AF_INET6) {
    const address = new Uint8Array(SOCKADDR_IN6);
    address[0] = AF_INET6; // sin6_family, little-endian u16 (Linux on every Deno target)
    address.set(bytes, 8); // after the port and the flow label
    return address;
  }
  const mapped = bytes.subarray(0, 12).every((byte, i) => byte === (i < 10 ? 0 : 0xff));
  if (!mapped) return null;
  const address = new Uint8Array(SOCKADDR_IN);
  address[0] = AF_INET;
  address.set(bytes.subarray(12), 4);
  return address;
}
