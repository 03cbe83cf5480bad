/**
 * The ClientID of a DoT client, from the server name it asks for (Android's Private DNS, kdig
 * `+tls-hostname`): with CLIENT_ID_DOMAIN=dns.example.net, `<clientid>.dns.example.net` gives
 * `<clientid>` and the domain itself gives none (the client is then known by its address).
 *
 * Deno (2.9) does not say which name a TLS client asked for (its handshake info has only the
 * ALPN protocol), so the door looks at the ClientHello itself, unread, before Deno's TLS reads
 * it: TCP_DEFER_ACCEPT on the listener makes the kernel hand over a connection only once its
 * first bytes have arrived, and Deno starts the handshake of an accepted connection as a task
 * that first runs when the event loop next turns, so recv(2) with MSG_PEEK, called at once
 * after the accept, finds the ClientHello still in the socket. The socket is found as the
 * handshake reaper finds one (handshake_reaper.ts): by its port and its peer. At most one TLS
 * record is read (16 KiB and its header), into one buffer. Without FFI (Deno Deploy, no
 * --allow-ffi) `status` says why, and every DoT client is known by its address.
 */
import { descriptorLimit } from "../runtime/descriptor_limit.ts";
import { openPeekCalls, type PeekCalls, tcpOptionOnListener } from "../runtime/libc_sockets.ts";
import { CLIENT_ID } from "../pipeline/profile.ts";
import { serverNameOf } from "./client_hello.ts";
import { peerKey, portOf } from "./handshake_reaper.ts";

const TCP_DEFER_ACCEPT = 9;
const MSG_PEEK = 2;
const MSG_DONTWAIT = 0x40;
/** One TLS record: a 5-byte header and at most 16 KiB (RFC 8446 §5.1). */
const MAX_RECORD = 5 + 16_384;
const RECORD_BYTES = BigInt(MAX_RECORD);
/** Descriptors looked at when the limit is unknown. */
const DEFAULT_SCAN = 65_536;

export class ServerNameReader {
  /** "on", or why not: for the startup line. */
  readonly status: string;
  readonly #port: number;
  readonly #domain: string;
  readonly #libc: PeekCalls | undefined;
  readonly #record = new Uint8Array(MAX_RECORD);
  readonly #address = new Uint8Array(128);
  readonly #length = new Uint32Array(1);

  /**
   * For connections accepted on this process's listening `port`; `waitSeconds` bounds how long
   * the kernel holds a connection that sends nothing before handing it over all the same.
   */
  constructor(port: number, domain: string, waitSeconds: number) {
    this.#port = port;
    this.#domain = domain;
    const libc = openPeekCalls();
    this.#libc = typeof libc === "string" ? undefined : libc;
    const deferred = typeof libc === "string"
      ? `off (${libc})`
      : tcpOptionOnListener(port, TCP_DEFER_ACCEPT, Math.max(1, Math.ceil(waitSeconds)));
    this.status = deferred;
    if (deferred !== "on") this.#libc = undefined;
  }

  /**
   * The ClientID the connection just accepted from `peer` asks for, if any. Call it before
   * anything awaits: once the event loop turns, Deno's TLS has read the ClientHello.
   */
  clientIdOf(peer: Deno.NetAddr): string | undefined {
    const libc = this.#libc;
    if (libc === undefined) return undefined;
    const fd = this.#find(libc, `${peer.hostname} ${peer.port}`);
    const read = fd === undefined
      ? -1
      : Number(libc.recv(fd, this.#record, RECORD_BYTES, MSG_PEEK | MSG_DONTWAIT));
    const name = read > 0 ? serverNameOf(this.#record.subarray(0, read)) : undefined;
    return clientIdInServerName(name, this.#domain);
  }

  /** The descriptor of the accepted socket from `peer` ("address port"). */
  #find(libc: PeekCalls, peer: string): number | undefined {
    const address = this.#address;
    const length = this.#length;
    const last = Math.min(descriptorLimit() ?? DEFAULT_SCAN, 1 << 20);
    for (let fd = 3; fd < last; fd++) {
      length[0] = address.length;
      if (libc.getsockname(fd, address, length) !== 0) continue;
      if (portOf(address) !== this.#port) continue;
      length[0] = address.length;
      if (libc.getpeername(fd, address, length) !== 0) continue;
      if (peerKey(address) === peer) return fd;
    }
    return undefined;
  }
}

/**
 * The ClientID a server name gives under `domain`: its first label when it is one label longer
 * than the domain and that label is a ClientID; undefined for the domain itself or any other.
 */
export function clientIdInServerName(
  name: string | undefined,
  domain: string,
): string | undefined {
  if (name === undefined || !name.endsWith(domain)) return undefined;
  const label = name.slice(0, name.length - domain.length - 1);
  if (name.charCodeAt(label.length) !== DOT || !CLIENT_ID.test(label)) return undefined;
  return label;
}

const DOT = 0x2e;
