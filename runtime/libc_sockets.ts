/**
 * The C library's socket calls over FFI, for what Deno's socket APIs do not offer: TCP_NODELAY
 * and TCP_DEFER_ACCEPT on a listener (tcp_nodelay.ts, doors/server_name.ts), sendto(2) and
 * recvfrom(2) on the UDP door's socket (udp_direct.ts), a UDP socket of its own with
 * SO_REUSEPORT for workers sharing the UDP door's port (doors/udp_shared.ts), shutdown(2) of a
 * connection Deno holds on to (handshake_reaper.ts), a look at what a TLS client sent first
 * (recv(2) with MSG_PEEK, doors/server_name.ts), and the descriptor limit
 * (descriptor_limit.ts). Linux only and with --allow-ffi; anywhere else (Deno Deploy, no
 * permission) `openLibc` and its siblings return why not, and the callers do without. Deno
 * does not expose descriptors, so a socket is found by the port it is bound to (/proc/self/fd
 * would need --allow-all).
 */

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SO_ACCEPTCONN = 30;
export const AF_INET = 2;
export const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
/** Descriptors looked at: a starting gateway has a few dozen open. */
const MAX_FD = 4096;

/**
 * What finding a socket and setting an option take. Opened apart from the datagram calls:
 * each symbol bound delays a start, and TCP_NODELAY is set before the first answer (`deno task
 * bench:all`, cold start).
 */
const SOCKET_SYMBOLS = {
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
} as const;

/** What the UDP door sends and receives with, besides. */
const DATAGRAM_SYMBOLS = {
  ...SOCKET_SYMBOLS,
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "isize",
  },
  dup: { parameters: ["i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/**
 * What a UDP socket opened, bound and waited on here takes, besides (doors/udp_shared.ts):
 * poll(2) blocks, so it runs off the main thread.
 */
const SHARED_DATAGRAM_SYMBOLS = {
  ...DATAGRAM_SYMBOLS,
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** What finding an accepted connection by its addresses and shutting it down take. */
const CONNECTION_SYMBOLS = {
  getsockname: SOCKET_SYMBOLS.getsockname,
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
} as const;

/** What finding an accepted connection and looking at its first bytes, unread, take. */
const PEEK_SYMBOLS = {
  getsockname: SOCKET_SYMBOLS.getsockname,
  getpeername: CONNECTION_SYMBOLS.getpeername,
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
} as const;

/** getrlimit(2) and setrlimit(2), for RLIMIT_NOFILE. */
const LIMIT_SYMBOLS = {
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

export type SocketCalls = Deno.DynamicLibrary<typeof SOCKET_SYMBOLS>["symbols"];
export type Libc = Deno.DynamicLibrary<typeof DATAGRAM_SYMBOLS>["symbols"];
export type SharedDatagramCalls = Deno.DynamicLibrary<typeof SHARED_DATAGRAM_SYMBOLS>["symbols"];
export type ConnectionCalls = Deno.DynamicLibrary<typeof CONNECTION_SYMBOLS>["symbols"];
export type LimitCalls = Deno.DynamicLibrary<typeof LIMIT_SYMBOLS>["symbols"];
export type PeekCalls = Deno.DynamicLibrary<typeof PEEK_SYMBOLS>["symbols"];

let socketCalls: SocketCalls | string | undefined;
let datagramCalls: Libc | string | undefined;
let sharedDatagramCalls: SharedDatagramCalls | string | undefined;
let connectionCalls: ConnectionCalls | string | undefined;
let limitCalls: LimitCalls | string | undefined;
let peekCalls: PeekCalls | string | undefined;

/** libc's calls to find a socket and set its options, opened once; or why not here. */
export function openSocketCalls(): SocketCalls | string {
  return socketCalls ??= open(SOCKET_SYMBOLS);
}

/** libc's socket calls with sendto(2) and recvfrom(2), opened once; or why not here. */
export function openLibc(): Libc | string {
  return datagramCalls ??= open(DATAGRAM_SYMBOLS);
}

/** libc's calls to open, bind, wait on and close a UDP socket of our own; or why not here. */
export function openSharedDatagramCalls(): SharedDatagramCalls | string {
  return sharedDatagramCalls ??= open(SHARED_DATAGRAM_SYMBOLS);
}

/** libc's calls to find a connection by its addresses and shut it down; or why not here. */
export function openConnectionCalls(): ConnectionCalls | string {
  return connectionCalls ??= open(CONNECTION_SYMBOLS);
}

/** libc's calls to find a connection and peek at it (recv(2), MSG_PEEK); or why not here. */
export function openPeekCalls(): PeekCalls | string {
  return peekCalls ??= open(PEEK_SYMBOLS);
}

/** libc's getrlimit(2) and setrlimit(2), opened once; or why not here. */
export function openLimitCalls(): LimitCalls | string {
  return limitCalls ??= open(LIMIT_SYMBOLS);
}

/** Other libc `symbols`, for a caller that is no socket's (memory_trim.ts); or why not here. */
export function openLibcSymbols<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | string {
  return open(symbols);
}

function open<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | string {
  if (Deno.build.os !== "linux") return "Linux only";
  if (Deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") {
    return "needs --allow-ffi";
  }
  try {
    return Deno.dlopen("libc.so.6", symbols).symbols;
  } catch (error) {
    return error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
  }
}

const IPPROTO_TCP = 6;

/**
 * Sets a TCP-level option (`option`, an int) on this process's listening TCP socket on `port`,
 * which the sockets it accepts inherit where the option is inherited; "on" or why not.
 */
export function tcpOptionOnListener(port: number, option: number, value: number): string {
  const libc = openSocketCalls();
  if (typeof libc === "string") return `off (${libc})`;
  try {
    const socket = findSocket(libc, port, "tcp-listener");
    if (socket === undefined) return "off (listening socket not found)";
    return libc.setsockopt(socket.fd, IPPROTO_TCP, option, new Int32Array([value]), 4) === 0
      ? "on"
      : "off (setsockopt failed)";
  } catch (error) {
    return `off (${error instanceof Error ? error.message.split("\n", 1)[0] : error})`;
  }
}

export interface FoundSocket {
  fd: number;
  family: typeof AF_INET | typeof AF_INET6;
}

/**
 * This process's socket bound to `port`: the listening TCP socket, or the UDP socket. A port
 * has one of each at most, so the scan stops at the first (each probe is an FFI call;
 * descriptors are handed out lowest first). `likely`, a descriptor to look at first, spares
 * the scan when it is right (a socket just opened took the lowest free one:
 * `lowestFreeDescriptor`); with `scan` false, it is the only one looked at, so the cost stays
 * a call or two however many descriptors the process has open.
 */
export function findSocket(
  libc: SocketCalls,
  port: number,
  kind: "tcp-listener" | "udp",
  likely?: number,
  scan = true,
): FoundSocket | undefined {
  const address = new Uint8Array(128);
  const length = new Uint32Array(1);
  const value = new Int32Array(1);
  const option = (fd: number, name: number) => {
    length[0] = 4;
    return libc.getsockopt(fd, SOL_SOCKET, name, value, length) === 0 ? value[0] : undefined;
  };
  const familyAt = (fd: number): FoundSocket["family"] | undefined => {
    length[0] = address.length;
    if (libc.getsockname(fd, address, length) !== 0) return undefined;
    const family = address[0] | (address[1] << 8);
    if (family !== AF_INET && family !== AF_INET6) return undefined;
    if (((address[2] << 8) | address[3]) !== port) return undefined;
    const type = option(fd, SO_TYPE);
    const wanted = kind === "udp"
      ? type === SOCK_DGRAM
      : type === SOCK_STREAM && !!option(fd, SO_ACCEPTCONN);
    return wanted ? family : undefined;
  };
  if (likely !== undefined && likely >= 3) {
    const family = familyAt(likely);
    if (family !== undefined) return { fd: likely, family };
  }
  for (let fd = 3; scan && fd < MAX_FD; fd++) {
    const family = familyAt(fd);
    if (family !== undefined) return { fd, family };
  }
  return undefined;
}

/**
 * The descriptor the next socket or file this process opens will most likely get: the lowest
 * free one (a duplicate of stderr is made to learn it, and closed). Another thread opening one
 * meanwhile makes it wrong, so check it (`findSocket` with it as `likely`).
 */
export function lowestFreeDescriptor(libc: Libc): number | undefined {
  const fd = libc.dup(2);
  if (fd < 0) return undefined;
  libc.close(fd);
  return fd;
}

/*
 * An IP address as the `struct sockaddr` sendto(2) and bind(2) take, made once per address and
 * its port bytes written per use: Linux's layout, little-endian family, port and address in
 * network order. The address comes as its 16 bytes (IPv4 mapped into IPv6), as net/cidr.ts
 * `parseAddress` gives it.
 */

const SOCKADDR_IN = 16;
const SOCKADDR_IN6 = 28;

/**
 * The sockaddr for the address `bytes` on a socket of `family`, port left 0; null when it has
 * none (an IPv6 address on an IPv4 socket).
 */
export function sockaddrOf(bytes: Uint8Array, family: number): Uint8Array<ArrayBuffer> | null {
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

/** Writes `port` into a sockaddr made by `sockaddrOf`. */
export function setSockaddrPort(address: Uint8Array, port: number): void {
  address[2] = port >> 8;
  address[3] = port & 0xff;
}
