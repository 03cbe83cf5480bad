/**
 * Where an answer tailored to the client's subnet is kept (RFC 7871 §7.3, with
 * FORWARD_CLIENT_SUBNET=on): under the question's cache key and the part of the client's
 * address the upstream said it depends on (the SCOPE PREFIX-LENGTH of its client-subnet
 * option), so it is found again only by clients within that scope. Scope 0 holds for every
 * client; a scope longer than the query's source prefix only for the very same subnet
 * (§7.3.1). Such keys extend the cache key with "|ecs", so a purge by name takes them too.
 */
import {
  decodeClientSubnet,
  decodeMessage,
  EdnsOptionCode,
  findOption,
  type Message,
} from "../dns/mod.ts";

/** A query's client subnet: family, source prefix length, and the address cut to it. */
export interface QuerySubnet {
  /** 1: IPv4, 2: IPv6. */
  family: number;
  source: number;
  /** ceil(source / 8) bytes, the bits past `source` zeroed. */
  address: Uint8Array;
}

/**
 * The client subnet of `query`; undefined when it carries none, "unreadable" when its option
 * does not decode (such a query is neither answered from the cache nor kept in it).
 */
export function querySubnet(query: Message): QuerySubnet | "unreadable" | undefined {
  const option = query.edns && findOption(query.edns, EdnsOptionCode.CLIENT_SUBNET);
  if (option === undefined) return undefined;
  try {
    const { family, sourcePrefix, address } = decodeClientSubnet(option.data);
    return { family, source: sourcePrefix, address: cut(address, sourcePrefix) };
  } catch {
    return "unreadable";
  }
}

/**
 * The key of an answer that holds for every address sharing the first `prefix` bits with
 * `subnet` (`prefix` at most its source length); scope 0 has one key for all.
 */
export function scopedKey(base: string, subnet: QuerySubnet, prefix: number): string {
  if (prefix === 0) return `${base}|ecs/0`;
  return `${base}|ecs/${subnet.family}/${prefix}/${hex(cut(subnet.address, prefix))}`;
}

/**
 * RFC 7871 §7.3.1: the key of an answer whose scope is longer than the query's source prefix,
 * which holds only for queries with the same source prefix and address.
 */
export function exactKey(base: string, subnet: QuerySubnet): string {
  return `${base}|ecs=${subnet.family}/${subnet.source}/${hex(subnet.address)}`;
}

/**
 * The scope `reply` holds for, as the answer to a query from `subnet`: the scope prefix of
 * its client-subnet option, 0 when it has none (RFC 7871 §7.3.1). Undefined when the option's
 * family, source prefix or address are not the query's, or do not decode: §7.3 says such a
 * reply is not to be trusted, so it is not kept.
 */
export function replyScope(reply: Uint8Array, subnet: QuerySubnet): number | undefined {
  try {
    const edns = decodeMessage(reply).edns;
    const option = edns && findOption(edns, EdnsOptionCode.CLIENT_SUBNET);
    if (option === undefined) return 0;
    const echoed = decodeClientSubnet(option.data);
    const same = echoed.family === subnet.family && echoed.sourcePrefix === subnet.source &&
      hex(cut(echoed.address, subnet.source)) === hex(subnet.address);
    return same ? echoed.scopePrefix : undefined;
  } catch {
    return undefined;
  }
}

/** The first `bits` bits of `address`, in ceil(bits / 8) bytes, the rest of the last zeroed. */
function cut(address: Uint8Array, bits: number): Uint8Array {
  const bytes = address.slice(0, Math.ceil(bits / 8));
  if (bits % 8 !== 0) bytes[bytes.length - 1] &= 0xff << (8 - bits % 8);
  return bytes;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
