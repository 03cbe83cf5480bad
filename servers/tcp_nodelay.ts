/**
 * TCP_NODELAY on a listening socket, which every connection it accepts inherits (Linux).
 * Deno.serve and Deno.listenTls offer no way to set it on accepted sockets, and without it the
 * first answer on a fresh TLS connection often waits behind the session tickets for the
 * client's delayed ACK: Nagle's algorithm, ~40 ms on about a third of new connections
 * (`deno task bench:all`, fresh connections: 14 of 40 before, 0 after).
 *
 * Done through libc over FFI (setsockopt on the descriptor whose getsockname is this port and
 * SO_ACCEPTCONN says listens; /proc/self/fd would need --allow-all), so only on Linux with
 * --allow-ffi; anywhere else (Deno Deploy, no permission) it is skipped and the reason
 * returned, for the startup lines.
 */

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;
const AF_INET = 2;
const AF_INET6 = 10;
/** Descriptors looked at: a starting gateway has a few dozen open. */
const MAX_FD = 4096;

/**
 * Sets TCP_NODELAY on this process's listening TCP socket on `port`; "on" or why not. A
 * listener is one socket, so the scan stops at it: descriptors are handed out lowest first,
 * and each probe is an FFI call (the full scan was ~5 ms of a cold start).
 */
export function noDelayOnListener(port: number): string {
  if (Deno.build.os !== "linux") return "off (Linux only)";
  if (Deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") {
    return "off (needs --allow-ffi)";
  }
  try {
    const libc = Deno.dlopen("libc.so.6", {
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
      getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    });
    try {
      const address = new Uint8Array(128);
      const length = new Uint32Array(1);
      const value = new Int32Array(1);
      for (let fd = 3; fd < MAX_FD; fd++) {
        length[0] = address.length;
        if (libc.symbols.getsockname(fd, address, length) !== 0) continue;
        const family = address[0] | (address[1] << 8);
        if (family !== AF_INET && family !== AF_INET6) continue;
        if (((address[2] << 8) | address[3]) !== port) continue;
        length[0] = 4;
        if (libc.symbols.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, length) !== 0) continue;
        if (value[0] === 0) continue;
        value[0] = 1;
        const ok = libc.symbols.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, value, 4) === 0;
        return ok ? "on" : "off (setsockopt failed)";
      }
    } finally {
      libc.close();
    }
    return "off (listening socket not found)";
  } catch (error) {
    return `off (${error instanceof Error ? error.message.split("\n", 1)[0] : error})`;
  }
}
