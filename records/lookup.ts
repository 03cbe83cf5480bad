/**
 * A local answer to one question: the records of the name, following CNAMEs through local
 * data (RFC 1034 §4.3.2: the chain and the target's records in one answer), NODATA or
 * NXDOMAIN with the SOA of the zone that speaks for the name (RFC 2308), or undefined when the
 * name is not local and the rest of the chain must answer.
 */
import { Rcode, type ResourceRecord, RType, type TargetData } from "../dns/mod.ts";
import { type RecordStore, soaRecord } from "./store.ts";

export interface LocalAnswer {
  rcode: number;
  answers: ResourceRecord[];
  /** The SOA of a negative answer. */
  authorities: ResourceRecord[];
}

/** Longest CNAME chain followed; a longer one (or a loop) is answered as far as it went. */
const MAX_CNAME_HOPS = 8;

export function lookup(store: RecordStore, name: string, type: number): LocalAnswer | undefined {
  const answers: ResourceRecord[] = [];
  const seen = new Set<string>();
  let current = name;
  while (true) {
    const match = store.find(current);
    if (match === undefined) {
      // The chain left local data: the client (or its resolver) follows it from here.
      return answers.length === 0 ? undefined : { rcode: Rcode.NOERROR, answers, authorities: [] };
    }
    if (!match.exists) {
      const authorities = [soaRecord(match.authority, store.serial)];
      return { rcode: Rcode.NXDOMAIN, answers, authorities };
    }
    const records = match.records.get(type);
    if (records !== undefined) {
      return { rcode: Rcode.NOERROR, answers: [...answers, ...records], authorities: [] };
    }
    const cname = type === RType.CNAME ? undefined : match.records.get(RType.CNAME)?.[0];
    if (cname === undefined) {
      const authorities = [soaRecord(match.authority, store.serial)];
      return { rcode: Rcode.NOERROR, answers, authorities };
    }
    answers.push(cname);
    seen.add(current);
    current = (cname.data as TargetData).target;
    if (seen.has(current) || seen.size > MAX_CNAME_HOPS) {
      return { rcode: Rcode.NOERROR, answers, authorities: [] };
    }
  }
}
