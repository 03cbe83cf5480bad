/**
 * Address ranges to values, the most specific range winning (a /32 inside a /24 inside a /16):
 * what the classic doors know clients by. Ranges are grouped by prefix length, each group a map
 * from the masked address to its value, so a lookup is one map probe per distinct length; the
 * answers for recent addresses are remembered (bounded), as a client asks many times.
 */
import { type Cidr, parseAddress } from "./cidr.ts";

/** Addresses whose answer is remembered; the table is emptied when full. */
const REMEMBERED = 4096;

export class CidrMap<T> {
  /** Prefix lengths, longest first, each with its masked networks. */
  readonly #groups: { bits: number; networks: Map<string, T> }[] = [];
  readonly #remembered = new Map<string, T | null>();

  /** `entries` in any order; a range given twice keeps its first value. */
  constructor(entries: Iterable<readonly [Cidr, T]>) {
    const byBits = new Map<number, Map<string, T>>();
    for (const [cidr, value] of entries) {
      let networks = byBits.get(cidr.bits);
      if (networks === undefined) byBits.set(cidr.bits, networks = new Map());
      const key = networkKey(cidr.bytes, cidr.bits);
      if (!networks.has(key)) networks.set(key, value);
    }
    for (const bits of [...byBits.keys()].sort((a, b) => b - a)) {
      this.#groups.push({ bits, networks: byBits.get(bits)! });
    }
  }

  /** Whether no range is held (then every lookup is undefined, at no cost). */
  get empty(): boolean {
    return this.#groups.length === 0;
  }

  /** The value of the most specific range holding `address`; undefined for none or no address. */
  get(address: string): T | undefined {
    if (this.#groups.length === 0) return undefined;
    const remembered = this.#remembered.get(address);
    if (remembered !== undefined) return remembered ?? undefined;
    const found = this.#find(address);
    if (this.#remembered.size >= REMEMBERED) this.#remembered.clear();
    this.#remembered.set(address, found ?? null);
    return found;
  }

  #find(address: string): T | undefined {
    const bytes = parseAddress(address);
    if (bytes === undefined) return undefined;
    for (const { bits, networks } of this.#groups) {
      const value = networks.get(networkKey(bytes, bits));
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

/**
 * The first `bits` of the 16 address bytes at `bytes[at..]`, as a string key (bits past the
 * prefix cleared): equal for every address of one range.
 */
export function networkKey(bytes: Uint8Array, bits: number, at = 0): string {
  let key = "";
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) key += String.fromCharCode(bytes[at + i]);
  const rest = bits & 7;
  if (rest !== 0) key += String.fromCharCode(bytes[at + whole] & ((0xff << (8 - rest)) & 0xff));
  return key;
}
