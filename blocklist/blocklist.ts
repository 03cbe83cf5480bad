/**
 * The one interface both blocklist stores answer to (DESIGN §6): memory (the embedded default,
 * a compact matcher per list) and Redis (sets every instance shares). Sync loads lists into
 * it, the stage asks it for decisions, the admin API edits its "custom" list.
 */
import type { Decision } from "./decision.ts";
import type { EntryFingerprints } from "./domain_set.ts";
import type { IpEntries } from "./ip_entry.ts";
import type { ListRule, RuleQuery } from "./list_rule.ts";
import type { ListSets } from "./list_sets.ts";
import type { ListFilter } from "./profile_policy.ts";

/** A list as loaded from its source: block entries and allow entries, canonical names. */
export interface LoadedList {
  name: string;
  /** Entries that block the name and its subdomains ("*.x" blocks only subdomains of x). */
  block: string[];
  /** Entries that allow the name and its subdomains, winning over any block entry. */
  allow: string[];
  /**
   * More entries, already fingerprinted by the parse (domain_set.ts), given up to the store:
   * only for a store that `takesFingerprints`.
   */
  fingerprints?: { kind: EntryKind; entries: EntryFingerprints };
  /**
   * Its sets already made (list_sets.ts), built by the sync or mapped from a stored build:
   * then `block`, `allow` and `fingerprints` are left empty. Only for a store that
   * `takesFingerprints`.
   */
  sets?: ListSets;
  /** Addresses and ranges that block (or, as exceptions, allow) answers holding them. */
  ips?: IpEntries;
  /** Rules with modifiers or regexes (list_rule.ts); absent: none. */
  rules?: ListRule[];
  /** Rules skipped for browser-only modifiers, lines per modifier, for the reports. */
  skippedModifiers?: Record<string, number>;
  /** Identifies the text it was parsed from (a hash), so an unchanged list is not reloaded. */
  contentId?: string;
}

/** What a list holds, for `/admin/blocklist`, `check` and the startup line. */
export interface ListSummary {
  name: string;
  blockEntries: number;
  allowEntries: number;
  /** Its IP entries, block and allow (absent: none). */
  ipEntries?: number;
  /** Rules with modifiers or regexes, when it has any. */
  ruleEntries?: number;
  /** Rules skipped for browser-only modifiers, when there were any: lines per modifier. */
  skippedModifiers?: Record<string, number>;
  contentId?: string;
  /** When it was loaded, milliseconds since the epoch (absent for the custom list). */
  loadedAt?: number;
}

export type EntryKind = "block" | "allow";

/** What the IP entries of the lists say of an answer's addresses. */
export interface AddressRules {
  /**
   * The decision for addresses of 16 bytes each (dns/mod.ts `answerAddresses`) by the lists
   * `filter` names (undefined: every list): blocked, naming the address, or none.
   */
  decide(addresses: Uint8Array, filter?: ListFilter): Decision;
}

export interface Blocklist {
  /** "memory" or the Redis client's description, for the startup line. */
  readonly description: string;
  /**
   * A count that moves whenever a decision may have changed (a load, an edit, another
   * instance's change seen): answers remembered before it moved are not reused.
   */
  readonly version: number;
  /**
   * True when `load` takes entries as fingerprints (the memory store): the parse then hashes
   * the list's names from its bytes, with no string per name.
   */
  readonly takesFingerprints?: boolean;
  /** True when a loaded rule has `$client`: a decision then depends on who asks. */
  readonly needsClient?: boolean;
  /**
   * The decision for a canonical name, by the lists `filter` names (a profile's choice;
   * undefined: every list); `query` gives rules with `$dnstype` or `$client` the type and the
   * client (without it such rules do not apply). Memory answers synchronously; Redis may
   * reject with a StoreError, and the stage decides what that means (REDIS_FAIL).
   */
  decide(name: string, filter?: ListFilter, query?: RuleQuery): Decision | Promise<Decision>;
  /**
   * The IP entries held (ip_ranges.ts), deciding an answer's addresses at once; absent while
   * no list has any.
   */
  readonly addressRules?: AddressRules;
  /**
   * Swaps in new contents for the named lists, each atomically (queries see the old list or
   * the new one, never half of one), and drops the lists named in `drop`. Other lists, the
   * custom one included, stay as they are.
   */
  load(lists: LoadedList[], drop?: string[]): Promise<void>;
  /** Admin edits of the custom list; resolves to how many entries changed. */
  edit(action: "add" | "remove", kind: EntryKind, names: string[]): Promise<number>;
  /** The custom list's entries (admin edits), sorted. */
  customEntries(): Promise<Record<EntryKind, string[]>>;
  /** Every list held, custom included, by name. */
  summary(): Promise<ListSummary[]>;
  /** Stops background work (Redis version polling). */
  close(): void;
}
