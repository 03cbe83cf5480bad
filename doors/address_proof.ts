/**
 * Which UDP clients have shown that their source address is their own, so the UDP door may
 * send them large answers without becoming an amplifier against a spoofed victim. Two proofs
 * count:
 * - a server cookie of ours (RFC 7873 §5.2.3): only the owner of the address could have read
 *   the one we sent it; it holds for an hour from when it was made (RFC 9018 §4.3), and every
 *   answer carries a fresh one;
 * - a query over TCP or DoT from the same address within the last hour (a TCP handshake cannot
 *   be finished from a forged address).
 *
 * A server cookie is the time it was made (4 bytes, seconds) and the first 8 bytes of
 * HMAC-SHA256 over the client cookie, that time and the client's address, keyed by a secret
 * (random per process unless DNS_COOKIE_SECRET shares one between instances). The table of
 * addresses seen over TCP is bounded; when full, the oldest entries go first.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { QueryCookie } from "../dns/cookie.ts";

export interface AddressProofOptions {
  /** The HMAC key; random when absent. */
  secret?: Uint8Array;
  /** Clock in milliseconds, injectable for tests. */
  now?: () => number;
  /** Most addresses remembered as seen over TCP. */
  maxAddresses?: number;
}

/** How long a server cookie, or a query over TCP, proves an address. */
export const PROOF_LIFETIME_MS = 60 * 60 * 1000;
/** Server cookies made a little in the future (another instance's clock) are still good. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const SERVER_COOKIE_SIZE = 12;
const HASH_SIZE = 8;
const DEFAULT_MAX_ADDRESSES = 100_000;
/** When the table is full, this share of it is freed at once (amortised O(1)). */
const EVICT_SHARE = 8;

export class AddressProof {
  readonly #secret: Uint8Array;
  readonly #now: () => number;
  readonly #maxAddresses: number;
  /** Address -> when it last asked over TCP or DoT, oldest first. */
  readonly #seen = new Map<string, number>();
  readonly #encoder = new TextEncoder();

  constructor(options: AddressProofOptions = {}) {
    this.#secret = options.secret ?? crypto.getRandomValues(new Uint8Array(16));
    this.#now = options.now ?? Date.now;
    this.#maxAddresses = options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
  }

  /** Addresses remembered as seen over TCP now. */
  get size(): number {
    return this.#seen.size;
  }

  /** Notes a query from `address` over a connection (TCP or DoT). */
  sawOverConnection(address: string): void {
    const now = this.#now();
    const seen = this.#seen.get(address);
    // Refreshed only now and then, so a busy client does not reorder the table per query.
    if (seen !== undefined && now - seen < PROOF_LIFETIME_MS / 4) return;
    this.#seen.delete(address);
    if (this.#seen.size >= this.#maxAddresses) this.#evict();
    this.#seen.set(address, now);
  }

  /** Whether a UDP query from `address`, carrying `cookie` (if any), comes from its owner. */
  proves(address: string, cookie: QueryCookie | undefined): boolean {
    if (cookie?.server !== undefined && this.#validCookie(address, cookie.client, cookie.server)) {
      return true;
    }
    const seen = this.#seen.get(address);
    return seen !== undefined && this.#now() - seen < PROOF_LIFETIME_MS;
  }

  /** A fresh server cookie for `client` (a client cookie) at `address`. */
  serverCookie(address: string, client: Uint8Array): Uint8Array {
    const seconds = Math.floor(this.#now() / 1000) >>> 0;
    const cookie = new Uint8Array(SERVER_COOKIE_SIZE);
    new DataView(cookie.buffer).setUint32(0, seconds);
    cookie.set(this.#hash(address, client, cookie.subarray(0, 4)), 4);
    return cookie;
  }

  #validCookie(address: string, client: Uint8Array, server: Uint8Array): boolean {
    if (server.length !== SERVER_COOKIE_SIZE) return false;
    const made = new DataView(server.buffer, server.byteOffset, 4).getUint32(0) * 1000;
    const now = this.#now();
    if (made > now + CLOCK_SKEW_MS || now - made >= PROOF_LIFETIME_MS) return false;
    return timingSafeEqual(this.#hash(address, client, server.subarray(0, 4)), server.subarray(4));
  }

  #hash(address: string, client: Uint8Array, time: Uint8Array): Uint8Array {
    return createHmac("sha256", this.#secret)
      .update(client)
      .update(time)
      .update(this.#encoder.encode(address))
      .digest()
      .subarray(0, HASH_SIZE);
  }

  #evict(): void {
    let free = Math.ceil(this.#maxAddresses / EVICT_SHARE);
    for (const address of this.#seen.keys()) {
      if (free-- <= 0) break;
      this.#seen.delete(address);
    }
  }
}
