/**
 * The records of one version of the records file, indexed for lookups by name: fixed names
 * (with the PTR records their addresses imply), wildcards, patterns, and the zone cuts that
 * decide whether an unknown name is NXDOMAIN (inside a local zone) or someone else's business.
 * Immutable: a reload builds a new store and swaps it in whole.
 */
import { parentNames, presentRdata, RClass, type ResourceRecord, RType } from "../dns/mod.ts";
import type { PatternRecords, RecordsFile } from "./parse.ts";
import { matchPattern, renderValue } from "./pattern.ts";
import { impliedPtr } from "./reverse.ts";

/** The zone a negative answer's SOA speaks for, and how long it may be remembered. */
export interface Authority {
  zone: string;
  ttl: number;
}

/** What the store knows about one name. */
export type NameMatch =
  | { exists: true; records: RecordSets; authority: Authority }
  | { exists: false; authority: Authority };

/** Type -> records of a name that exists. */
export type RecordSets = ReadonlyMap<number, ResourceRecord[]>;

const NO_RECORDS: RecordSets = new Map();

export class RecordStore {
  /** Changes with every load, as the SOA serial: clients see that the data changed. */
  readonly serial: number;
  #names = new Map<string, Map<number, ResourceRecord[]>>();
  /** Empty non-terminals inside local zones: they exist (NODATA, not NXDOMAIN). */
  #between = new Set<string>();
  #patterns: readonly PatternRecords[];
  /** Local zone or forward zone -> the zone's TTL, or undefined for a forward zone. */
  #cuts = new Map<string, number | undefined>();

  constructor(file: RecordsFile, serial: number) {
    this.serial = serial;
    this.#patterns = file.patterns;
    for (const zone of file.zones) {
      this.#cuts.set(zone.name, zone.ttl);
      // The apex of a zone exists, and answers for its SOA.
      this.#add(soaRecord({ zone: zone.name, ttl: zone.ttl }, serial));
    }
    for (const forward of file.forwards) this.#cuts.set(forward.zone, undefined);
    for (const record of file.records) {
      this.#add(record);
      const ptr = impliedPtr(record);
      if (ptr) this.#add(ptr);
    }
    for (const name of this.#names.keys()) this.#markBetween(name);
  }

  /**
   * What the store says about `name` (canonical): it exists with these records, it does not
   * exist (inside a local zone, or a pattern's shape with impossible values), or undefined:
   * not local, so the rest of the chain answers.
   */
  find(name: string): NameMatch | undefined {
    const cut = this.#cut(name);
    const exact = this.#names.get(name);
    if (exact !== undefined) {
      const authority = this.#authority(cut, name, smallestTtl(exact));
      return { exists: true, records: exact, authority };
    }
    if (this.#between.has(name)) {
      return { exists: true, records: NO_RECORDS, authority: this.#authority(cut, name, 0) };
    }
    const patterned = this.#pattern(name, cut);
    if (patterned !== undefined) return patterned;
    const wildcard = this.#wildcard(name, cut);
    if (wildcard !== undefined) return wildcard;
    const ttl = this.#zoneTtl(cut);
    return ttl === undefined ? undefined : { exists: false, authority: { zone: cut!, ttl } };
  }

  /** The SOA TTL when `cut` is a local zone; undefined for a forward zone or none. */
  #zoneTtl(cut: string | undefined): number | undefined {
    return cut === undefined ? undefined : this.#cuts.get(cut);
  }

  /** The deepest local or forward zone holding `name`. */
  #cut(name: string): string | undefined {
    if (this.#cuts.size === 0) return undefined;
    return parentNames(name).find((candidate) => this.#cuts.has(candidate));
  }

  /**
   * The local zone when the name is in one; otherwise `owner` (the name, or the domain of
   * its wildcard or pattern) stands for itself, with the TTL of its own records.
   */
  #authority(cut: string | undefined, owner: string, ttl: number): Authority {
    const zoneTtl = this.#zoneTtl(cut);
    return zoneTtl === undefined ? { zone: owner, ttl } : { zone: cut!, ttl: zoneTtl };
  }

  #pattern(name: string, cut: string | undefined): NameMatch | undefined {
    for (const { pattern, values } of this.#patterns) {
      const match = matchPattern(pattern, name);
      if (match === undefined) continue;
      const authority = this.#authority(
        cut,
        pattern.suffix,
        Math.min(...values.map((value) => value.ttl)),
      );
      const records = new Map<number, ResourceRecord[]>();
      for (const value of values) {
        const data = match === "out-of-range" ? undefined : renderValue(value, match);
        if (data === undefined) return { exists: false, authority };
        const record = { name, type: value.type, class: RClass.IN, ttl: value.ttl, data };
        records.set(value.type, [...records.get(value.type) ?? [], record]);
      }
      return { exists: true, records, authority };
    }
    return undefined;
  }

  /**
   * RFC 4592: the wildcard of the closest existing ancestor, its records owned by `name`. The
   * search stops at the first ancestor that exists (it has no such wildcard) and at a zone cut.
   */
  #wildcard(name: string, cut: string | undefined): NameMatch | undefined {
    for (const ancestor of parentNames(name).slice(1)) {
      const wildcard = this.#names.get(`*.${ancestor}`);
      if (wildcard !== undefined) {
        const records = new Map(
          [...wildcard].map(([type, set]) => [type, set.map((record) => ({ ...record, name }))]),
        );
        const authority = this.#authority(cut, ancestor, smallestTtl(records));
        return { exists: true, records, authority };
      }
      if (ancestor === cut || this.#names.has(ancestor) || this.#between.has(ancestor)) break;
    }
    return undefined;
  }

  /** Adds a record once (the same value twice, e.g. a PTR written and implied, is one). */
  #add(record: ResourceRecord): void {
    let sets = this.#names.get(record.name);
    if (sets === undefined) this.#names.set(record.name, sets = new Map());
    const set = sets.get(record.type) ?? [];
    const text = presentRdata(record.type, record.data);
    if (!set.some((other) => presentRdata(other.type, other.data) === text)) {
      sets.set(record.type, [...set, record]);
    }
  }

  /** Marks the names between `name` and its local zone as existing (RFC 8020). */
  #markBetween(name: string): void {
    const cut = this.#cut(name);
    if (this.#zoneTtl(cut) === undefined) return;
    for (const ancestor of parentNames(name).slice(1)) {
      if (ancestor === cut) return;
      this.#between.add(ancestor);
    }
  }
}

function smallestTtl(records: RecordSets): number {
  let ttl = Infinity;
  for (const set of records.values()) for (const record of set) ttl = Math.min(ttl, record.ttl);
  return ttl === Infinity ? 0 : ttl;
}

/** The SOA of a local zone: its TTL and MINIMUM are how long a negative answer is kept. */
export function soaRecord(authority: Authority, serial: number): ResourceRecord {
  return {
    name: authority.zone,
    type: RType.SOA,
    class: RClass.IN,
    ttl: authority.ttl,
    data: {
      mname: authority.zone,
      rname: `hostmaster.${authority.zone}`,
      serial,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: authority.ttl,
    },
  };
}
