/**
 * The answer for a blocked name, as BLOCK_RESPONSE asks:
 * - `nxdomain` (default): the name does not exist;
 * - `nodata`: the name exists but has no records of the type;
 * - `null`: 0.0.0.0 for A and :: for AAAA (clients fail fast instead of retrying elsewhere),
 *   NODATA for every other type;
 * - `refused`: the resolver declines.
 * Negative answers carry an SOA in the authority section so clients cache them (RFC 2308) for
 * BLOCK_TTL, and every answer carries Extended DNS Error 15 "Blocked" naming the list and the
 * entry (RFC 8914), and the profile but for "default", for clients that sent EDNS.
 */
import {
  canonicalName,
  EdeCode,
  type Message,
  Rcode,
  type ResourceRecord,
  RType,
} from "../dns/mod.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import type { Answer } from "../pipeline/types.ts";
import { describeRule, type Rule } from "./decision.ts";

export const BLOCK_RESPONSES = ["nxdomain", "nodata", "null", "refused"] as const;
export type BlockResponse = typeof BLOCK_RESPONSES[number];

export interface BlockAnswerOptions {
  response: BlockResponse;
  /** TTL of the null addresses and of the SOA (so the negative-caching time too), seconds. */
  ttl: number;
  /** The profile the answer is for, named in EDE 15's text unless it is "default". */
  profile?: string;
}

/** SOA fields of the synthetic zone blocked answers speak for. */
const SOA_MNAME = "blocked.invalid";
const SOA_RNAME = "hostmaster.blocked.invalid";

export function blockAnswer(query: Message, rule: Rule, options: BlockAnswerOptions): Answer {
  const question = query.questions[0];
  const ede = {
    infoCode: EdeCode.BLOCKED,
    text: `Blocked (${describeRule(rule, options.profile)})`,
  };
  const zone = () => zoneOf(rule.entry, canonicalName(question.name));
  const soa = () => [soaRecord(zone(), question.class, options.ttl)];
  switch (options.response) {
    case "refused":
      return replyAnswer(query, { rcode: Rcode.REFUSED, ede }, "blocked");
    case "nodata":
      return replyAnswer(query, { authorities: soa(), ede }, "blocked");
    case "null": {
      const address = nullAddress(question.type);
      if (address === undefined) return replyAnswer(query, { authorities: soa(), ede }, "blocked");
      const record: ResourceRecord = {
        name: question.name,
        type: question.type,
        class: question.class,
        ttl: options.ttl,
        data: { address },
      };
      return replyAnswer(query, { answers: [record], ede }, "blocked");
    }
    case "nxdomain":
      return replyAnswer(query, { rcode: Rcode.NXDOMAIN, authorities: soa(), ede }, "blocked");
  }
}

function nullAddress(type: number): string | undefined {
  if (type === RType.A) return "0.0.0.0";
  if (type === RType.AAAA) return "::";
  return undefined;
}

/**
 * The owner of the SOA: the blocking entry's domain, which encloses the queried name (for a
 * wildcard "*.x" that is x); the queried name itself should the entry somehow not enclose it.
 * Both names are canonical (lowercase).
 */
function zoneOf(entry: string, name: string): string {
  const zone = entry.startsWith("*.") ? entry.slice(2) : entry;
  return name === zone || name.endsWith(`.${zone}`) ? zone : name;
}

function soaRecord(zone: string, klass: number, ttl: number): ResourceRecord {
  return {
    name: zone,
    type: RType.SOA,
    class: klass,
    ttl,
    data: {
      mname: SOA_MNAME,
      rname: SOA_RNAME,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: ttl,
    },
  };
}
