/**
 * The UDP door's socket used through sendto(2) and recvfrom(2) called directly (libc_sockets.ts:
 * Linux with --allow-ffi). Deno's `send` and `receive` are asynchronous ops around the same
 * system calls, with a promise and an address object for each datagram, which a cached answer
 * need not pay for: with the direct calls, the gateway's cached UDP answers keep up with a Deno
 * server that answers fixed bytes through Deno's (`deno task bench:all`, cached UDP row:
 * gateway/floor).
 *
 * The socket stays Deno's, and non-blocking, so a call never waits:
 * - a send that fails (a full send buffer, an address this cannot spell) returns false, and the
 *   door sends through Deno;
 * - after Deno's `receive` has woken the door, `receiveNow` takes what else is already queued,
 *   until the queue is empty, and the door goes back to Deno's `receive` (which finds the queue
 *   empty and waits for the next datagram, as after any read of its own). Peers are spelled as
 *   Deno spells them (address_text.ts).
 * Elsewhere (Deno Deploy, no permission) there is no direct socket and Deno does everything.
 */
import { ipv4Text, ipv6Text } from "../net/address_text.ts";
import { parseAddress } from "../net/cidr.ts";
import {
  AF_INET,
  AF_INET6,
  findSocket,
  type Libc,
  openLibc,
  setSockaddrPort,
  sockaddrOf,
} from "../runtime/libc_sockets.ts";

export interface DirectSocket {
  /** True when the datagram went out; false to send it another way. */
  send(bytes: Uint8Array, peer: Deno.NetAddr): boolean;
  /**
   * A datagram already queued, read into `buffer` (a view of it is returned), or undefined when
   * none is (or it cannot be read this way: go back to Deno's receive).
   */
  receiveNow(buffer: Uint8Array<ArrayBuffer>): [Uint8Array, Deno.NetAddr] | undefined;
  /** Before the socket closes: its descriptor number may soon be another socket's. */
  close(): void;
}

/** Peer addresses remembered, spelled as sockaddrs; emptied when full. */
const REMEMBERED = 4096;
const SOCKADDR_IN6 = 28;

/** size_t arguments as FFI takes them: a few lengths recur, made once each. */
const lengths: bigint[] = [];

const MSG_DONTWAIT = 0x40;

/** Direct calls on this process's UDP socket on `port`, or why there are none. */
export function directSocket(port: number): DirectSocket | string {
  const libc = openLibc();
  if (typeof libc === "string") return libc;
  const socket = findSocket(libc, port, "udp");
  if (socket === undefined) return "socket not found";
  return new FfiSocket(libc, socket.fd, socket.family);
}

/** Direct calls on a UDP socket of `family` this process opened itself (udp_shared.ts). */
export function directCallsOn(libc: Libc, fd: number, family: number): DirectSocket {
  return new FfiSocket(libc, fd, family);
}

class FfiSocket implements DirectSocket {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #family: number;
  /** sockaddr bytes by address text (port bytes written per send); null: cannot spell it. */
  readonly #addresses = new Map<string, Uint8Array<ArrayBuffer> | null>();
  /** Where `receiveNow` learns the sender, and the length of that. */
  readonly #from = new Uint8Array(SOCKADDR_IN6);
  readonly #fromLength = new Uint32Array(1);
  /** Peers' addresses as text, by their bytes (two to a character). */
  readonly #hostnames = new Map<string, string>();
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
    setSockaddrPort(address, peer.port);
    const length = bytes.length;
    const sent = this.#libc.sendto(
      this.#fd,
      // FFI reads the view's bytes whatever holds them; older Deno types ask for an ArrayBuffer.
      bytes as Uint8Array<ArrayBuffer>,
      lengths[length] ??= BigInt(length),
      0,
      address,
      address.length,
    );
    return Number(sent) === length;
  }

  receiveNow(buffer: Uint8Array<ArrayBuffer>): [Uint8Array, Deno.NetAddr] | undefined {
    if (!this.#open) return undefined;
    const from = this.#from;
    this.#fromLength[0] = from.length;
    const length = buffer.length;
    const read = Number(
      this.#libc.recvfrom(
        this.#fd,
        buffer,
        lengths[length] ??= BigInt(length),
        MSG_DONTWAIT,
        from,
        this.#fromLength,
      ),
    );
    if (read < 0) return undefined;
    const family = from[0] | (from[1] << 8);
    // The address's bytes as a short string: the key to its text, spelled once.
    // Where the address's bytes are, and how many: two numbers, not a pair made per datagram.
    const at = family === AF_INET ? 4 : 8;
    const size = family === AF_INET ? 4 : family === AF_INET6 ? 16 : 0;
    if (size === 0) return undefined;
    let key = "";
    for (let i = at; i < at + size; i += 2) {
      key += String.fromCharCode((from[i] << 8) | from[i + 1]);
    }
    let hostname = this.#hostnames.get(key);
    if (hostname === undefined) {
      hostname = size === 4 ? ipv4Text(from, at) : ipv6Text(from, at);
      if (this.#hostnames.size >= REMEMBERED) this.#hostnames.clear();
      this.#hostnames.set(key, hostname);
    }
    const peer = { transport: "udp" as const, hostname, port: (from[2] << 8) | from[3] };
    return [buffer.subarray(0, read), peer];
  }

  close(): void {
    this.#open = false;
  }

  #sockaddr(hostname: string): Uint8Array<ArrayBuffer> | null {
    let address = this.#addresses.get(hostname);
    if (address === undefined) {
      address = sockaddrOfText(hostname, this.#family);
      if (this.#addresses.size >= REMEMBERED) this.#addresses.clear();
      this.#addresses.set(hostname, address);
    }
    return address;
  }
}

/** The sockaddr for `hostname` on a socket of `family`, port left 0; null when it has none. */
function sockaddrOfText(hostname: string, family: number): Uint8Array<ArrayBuffer> | null {
  // A zone (fe80::1%eth0) would need its interface index: Deno sends those.
  if (hostname.includes("%")) return null;
  const bytes = parseAddress(hostname);
  return bytes === undefined ? null : sockaddrOf(bytes, family);
}
