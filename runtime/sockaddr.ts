/**
 * An IP address as the `struct sockaddr` that sendto(2) and bind(2) take over FFI
 * (libc_sockets.ts), made once per address and its port bytes written per use: Linux's
 * layout, little-endian family, port and address in network order. The address comes as its
 * 16 bytes (IPv4 mapped into IPv6), as net/cidr.ts `parseAddress` gives it.
 */
import { AF_INET, AF_INET6 } from "./libc_sockets.ts";

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
