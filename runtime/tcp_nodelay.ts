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
import { tcpOptionOnListener } from "./libc_sockets.ts";

const TCP_NODELAY = 1;

/** Sets TCP_NODELAY on this process's listening TCP socket on `port`; "on" or why not. */
export function noDelayOnListener(port: number): string {
  return tcpOptionOnListener(port, TCP_NODELAY, 1);
}
