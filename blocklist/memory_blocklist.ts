/**
 * The memory store (the embedded default): each list is two compact fingerprint sets, block
 * and allow (domain_set.ts), so a million entries cost a few MB and a decision is a few hash
 * probes with no allocation. Loading a list builds its sets aside and swaps them in with one
 * assignment: queries in flight see the old list or the new one.
 *
 * Rules the sets cannot hold (regexes, modifiers: list_rule.ts) are compiled, over every list,
 * into one rule book (rule_book.ts), loaded with the first list that has any; without any,
 * deciding does what it did before they existed.
 *
 * Admin edits live in the "custom" list, kept as plain sets too (they are few) so they can
 * be listed; `onCustomChange` lets the caller persist them.
 */
import type { AddressRules, Blocklist, EntryKind, ListSummary, LoadedList } from "./blocklist.ts";
import { CUSTOM_LIST, type Decision, NO_DECISION } from "./decision.ts";
import { type ListFilter, takesAllows, takesBlocks } from "./profile_policy.ts";
import type { ListRule, RuleQuery } from "./list_rule.ts";
import type { RuleBook } from "./rule_book.ts";
import { runInSlices } from "./slices.ts";
import { DomainSet } from "./domain_set.ts";
import type { IpList } from "./ip_ranges.ts";
import { NameProbe } from "./name_probe.ts";

interface CompiledList {
  name: string;
  block: DomainSet;
  allow: DomainSet;
  /** Its IP entries, when it has any. */
  ips?: IpList;
  rules?: ListRule[];
  skippedModifiers?: Record<string, number>;
  contentId?: string;
  loadedAt?: number;
}

export interface MemoryBlocklistOptions {
  /** Custom entries to start with (persisted admin edits). */
  custom?: Partial<Record<EntryKind, string[]>>;
  /** Called after every admin edit with the whole custom list, to persist it. */
  onCustomChange?: (custom: Record<EntryKind, string[]>) => void | Promise<void>;
  now?: () => number;
}

export class MemoryBlocklist implements Blocklist {
  readonly description = "memory";
  readonly takesFingerprints = true;
  #lists: CompiledList[] = [];
  #addressRules: AddressRules | undefined;
  /** The lists' rules, when some list has any. */
  #book: RuleBook | undefined;
  #version = 0;
  #custom: Record<EntryKind, Set<string>>;
  #onCustomChange?: MemoryBlocklistOptions["onCustomChange"];
  #now: () => number;
  /** One probe reused by every decision: deciding is synchronous, so no two overlap. */
  #probe = new NameProbe();

  constructor(options: MemoryBlocklistOptions = {}) {
    this.#custom = {
      block: new Set(options.custom?.block ?? []),
      allow: new Set(options.custom?.allow ?? []),
    };
    this.#onCustomChange = options.onCustomChange;
    this.#now = options.now ?? Date.now;
    this.#compileCustom();
  }

  get version(): number {
    return this.#version;
  }

  get addressRules(): AddressRules | undefined {
    return this.#addressRules;
  }

  get needsClient(): boolean {
    return this.#book?.needsClient ?? false;
  }

  decide(name: string, filter?: ListFilter, query?: RuleQuery): Decision {
    const book = this.#book;
    const held = this.#held(name, filter);
    return book === undefined ? held : book.decide(name, filter, query, held);
  }

  /** What the sets decide. */
  #held(name: string, filter: ListFilter | undefined): Decision {
    const lists = this.#lists;
    const probe = this.#probe;
    probe.load(name);
    // Every list (the default profile): the loops allocate nothing until a list matches.
    if (filter !== undefined) return this.#decideAmong(lists, probe, filter);
    for (const list of lists) {
      const entry = list.allow.match(probe);
      if (entry !== undefined) return { verdict: "allowed", rule: { list: list.name, entry } };
    }
    for (const list of lists) {
      const entry = list.block.match(probe);
      if (entry !== undefined) return { verdict: "blocked", rule: { list: list.name, entry } };
    }
    return NO_DECISION;
  }

  /** The decision by the lists `filter` lets count: the same order, lists skipped. */
  #decideAmong(lists: CompiledList[], probe: NameProbe, filter: ListFilter): Decision {
    for (const list of lists) {
      // A list with rules counts as one that blocks, as the rule book counts it.
      if (!takesAllows(filter, list.name, hasBlocks(list))) continue;
      const entry = list.allow.match(probe);
      if (entry !== undefined) return { verdict: "allowed", rule: { list: list.name, entry } };
    }
    for (const list of lists) {
      if (!takesBlocks(filter, list.name)) continue;
      const entry = list.block.match(probe);
      if (entry !== undefined) return { verdict: "blocked", rule: { list: list.name, entry } };
    }
    return NO_DECISION;
  }

  /**
   * Builds the lists' sets a slice at a time (blocklist/slices.ts), then swaps them in. IP
   * entries are held apart (ip_ranges.ts, loaded with the first list that has any); only
   * loads change them, never admin edits.
   */
  async load(lists: LoadedList[], drop: string[] = []): Promise<void> {
    const held = this.#lists.some((list) => list.ips !== undefined);
    const ranges = held || lists.some((list) => list.ips !== undefined)
      ? await import("./ip_ranges.ts")
      : undefined;
    const compiled: CompiledList[] = [];
    for (const list of lists) {
      const ips = list.ips;
      // Built here, unless the sync built them or mapped a stored build (shared_sets.ts).
      const { block, allow } = list.sets ??
        await (await import("./list_sets.ts")).buildListSets(list);
      compiled.push({
        name: list.name,
        block,
        allow,
        ips: ips && ranges && {
          name: list.name,
          hasBlocks: block.size + ips.block.length > 0,
          block: new ranges.IpRanges(ips.block),
          allow: new ranges.IpRanges(ips.allow),
        },
        ...(list.rules?.length ? { rules: list.rules } : {}),
        ...(list.skippedModifiers && { skippedModifiers: list.skippedModifiers }),
        contentId: list.contentId,
        loadedAt: this.#now(),
      });
    }
    const replaced = new Set([...drop, ...lists.map((list) => list.name)]);
    replaced.delete(CUSTOM_LIST);
    const kept = [...this.#lists.filter((list) => !replaced.has(list.name)), ...compiled];
    const book = await bookOf(kept);
    const ipLists = kept.flatMap((list) => list.ips ?? []);
    this.#addressRules = ranges && ipLists.length > 0 ? new ranges.IpRules(ipLists) : undefined;
    this.#swap(kept, book);
  }

  async edit(action: "add" | "remove", kind: EntryKind, names: string[]): Promise<number> {
    const set = this.#custom[kind];
    let changed = 0;
    for (const name of names) {
      if (action === "add" ? !set.has(name) : set.has(name)) {
        if (action === "add") set.add(name);
        else set.delete(name);
        changed++;
      }
    }
    if (changed > 0) {
      this.#compileCustom();
      await this.#onCustomChange?.(await this.customEntries());
    }
    return changed;
  }

  customEntries(): Promise<Record<EntryKind, string[]>> {
    return Promise.resolve({
      block: [...this.#custom.block].sort(),
      allow: [...this.#custom.allow].sort(),
    });
  }

  summary(): Promise<ListSummary[]> {
    return Promise.resolve(this.#lists.map((list) => ({
      name: list.name,
      blockEntries: list.block.size,
      allowEntries: list.allow.size,
      ...(list.ips === undefined ? {} : { ipEntries: list.ips.block.size + list.ips.allow.size }),
      ...(list.rules === undefined ? {} : { ruleEntries: list.rules.length }),
      ...(list.skippedModifiers && { skippedModifiers: list.skippedModifiers }),
      ...(list.contentId === undefined ? {} : { contentId: list.contentId }),
      ...(list.loadedAt === undefined ? {} : { loadedAt: list.loadedAt }),
    })));
  }

  /** Bytes held by the fingerprint sets (for metrics and the bench). */
  byteLength(): number {
    return this.#lists.reduce(
      (sum, list) => sum + list.block.byteLength + list.allow.byteLength,
      0,
    );
  }

  close(): void {}

  /** The custom list stands first, so an admin's entry is the one reported. */
  #compileCustom(): void {
    const custom: CompiledList = {
      name: CUSTOM_LIST,
      block: DomainSet.from(this.#custom.block),
      allow: DomainSet.from(this.#custom.allow),
    };
    this.#swap([custom, ...this.#lists.filter((list) => list.name !== CUSTOM_LIST)], this.#book);
  }

  /** The only way the lists change, so the version moves with every change. */
  #swap(lists: CompiledList[], book: RuleBook | undefined): void {
    this.#lists = lists;
    this.#book = book;
    this.#version++;
  }
}

/** Whether a list blocks anything: its exceptions then count wherever its blocks do. */
function hasBlocks(list: CompiledList): boolean {
  return list.block.size > 0 || list.rules !== undefined;
}

/** The rule book of these lists; undefined, and nothing more loaded, when none has rules. */
async function bookOf(lists: CompiledList[]): Promise<RuleBook | undefined> {
  if (!lists.some((list) => list.rules !== undefined)) return undefined;
  const { RuleBook } = await import("./rule_book.ts");
  return await runInSlices(RuleBook.buildSteps(
    lists.filter((list) => list.rules !== undefined).map((list) => ({
      name: list.name,
      rules: list.rules!,
    })),
  ));
}
