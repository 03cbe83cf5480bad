/**
 * TCP_NODELAY on a listening socket, which every connection it accepts inherits (Linux).
 * Deno.serve and Deno.listenTls offer no way to set it on accepted sockets, and without it the
 * first answer on a fresh TLS connection often waits behind the session tickets for the
 * client's delayed ACK: Nagle's algorithm, a stall on many new connections. None may stall
 * (`deno task bench:all`, fresh connections: stalls).
 *
 * Done through libc over FFI (libc_sockets.ts), so only on Linux with --allow-ffi; anywhere
 * else (Deno Deploy, no permission) it is skipped and the reason returned, for the startup
 * lines.
 */
import { findSocket, openSocketCalls } from "./libc_sockets.ts";

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;

/** Sets TCP_NODELAY on this process's listening TCP socket on `port`; "on" or why not. */
export function noDelayOnListener(port: number): string {
  const libc = openSocketCalls();
  if (typeof libc === "string") return `off (${libc})`;
  try {
    const socket = findSocket(libc, port, "tcp-listener");
    if (socket === undefined) return "off (listening socket not found)";
    const on = new Int32Array([1]);
    return libc.setsockopt(socket.fd, IPPROTO_TCP, TCP_NODELAY, on, 4) === 0
      ? "on"
      : "off (setsockopt failed)";
  } catch (error) {
    return `off (${error instanceof Error ? error.message.split("\n", 1)[0] : error})`;
  }
}
