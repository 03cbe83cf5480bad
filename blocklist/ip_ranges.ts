/**
 * The IP entries of the lists as the stage matches them: per list, its block and allow ranges,
 * each grouped by prefix length with a map from the masked network to the entry, so an address
 * costs one map probe per distinct length. Both stores hold them so (memory from a load, Redis
 * read into each instance when the version moves): they are few, and an answer's addresses are
 * matched without a round trip. Loaded with the first list that has IP entries: a process
 * whose lists have none never loads it.
 */
import { addressText } from "../dns/mod.ts";
import { parseCidr } from "../net/cidr.ts";
import { networkKey } from "../net/cidr_map.ts";
import type { AddressRules } from "./blocklist.ts";
import { type Decision, NO_DECISION } from "./decision.ts";
import { type ListFilter, takesAllows, takesBlocks } from "./profile_policy.ts";

/** Ranges to the entry that wrote them, the most specific winning. */
export class IpRanges {
  /** Distinct entries held. */
  readonly size: number;
  /** Prefix lengths over the 16 bytes, longest first, each with its masked networks. */
  readonly #groups: { bits: number; networks: Map<string, string> }[] = [];

  /** `entries`: canonical IP entries (ip_entry.ts); any that does not parse is left out. */
  constructor(entries: Iterable<string>) {
    const byBits = new Map<number, Map<string, string>>();
    let size = 0;
    for (const entry of entries) {
      const cidr = parseCidr(entry);
      if (cidr === undefined) continue;
      let networks = byBits.get(cidr.bits);
      if (networks === undefined) byBits.set(cidr.bits, networks = new Map());
      const key = networkKey(cidr.bytes, cidr.bits);
      if (networks.has(key)) continue;
      networks.set(key, entry);
      size++;
    }
    for (const bits of [...byBits.keys()].sort((a, b) => b - a)) {
      this.#groups.push({ bits, networks: byBits.get(bits)! });
    }
    this.size = size;
  }

  /** The entry of the most specific range holding the 16-byte address at `bytes[at..]`. */
  match(bytes: Uint8Array, at: number): string | undefined {
    for (const { bits, networks } of this.#groups) {
      const entry = networks.get(networkKey(bytes, bits, at));
      if (entry !== undefined) return entry;
    }
    return undefined;
  }
}

/** One list's IP entries. `hasBlocks`: the list blocks something (its exceptions go with it). */
export interface IpList {
  name: string;
  hasBlocks: boolean;
  block: IpRanges;
  allow: IpRanges;
}

/** The IP entries of the lists that have any, deciding an answer's addresses (blocklist.ts). */
export class IpRules implements AddressRules {
  readonly lists: readonly IpList[];

  constructor(lists: readonly IpList[]) {
    this.lists = lists;
  }

  /**
   * Blocked by the first block entry, of a list `filter` takes, holding one of the addresses
   * (16 bytes each, dns/mod.ts `answerAddresses`) that no exception of those lists also holds,
   * naming the address; else no decision.
   */
  decide(addresses: Uint8Array, filter?: ListFilter): Decision {
    const lists = this.lists;
    for (let at = 0; at < addresses.length; at += 16) {
      if (allowed(lists, addresses, at, filter)) continue;
      for (const list of lists) {
        if (list.block.size === 0 || !takesBlocks(filter, list.name)) continue;
        const entry = list.block.match(addresses, at);
        if (entry !== undefined) {
          const rule = { list: list.name, entry, answer: addressText(addresses, at) };
          return { verdict: "blocked", rule };
        }
      }
    }
    return NO_DECISION;
  }
}

function allowed(
  lists: readonly IpList[],
  addresses: Uint8Array,
  at: number,
  filter: ListFilter | undefined,
): boolean {
  for (const list of lists) {
    if (list.allow.size === 0 || !takesAllows(filter, list.name, list.hasBlocks)) continue;
    if (list.allow.match(addresses, at) !== undefined) return true;
  }
  return false;
}
