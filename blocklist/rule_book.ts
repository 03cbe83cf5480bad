/**
 * The rules of every list that a fingerprint set cannot hold (list_rule.ts), compiled once per
 * change of the lists, and the one place their precedence is decided. Both stores keep one and
 * ask it after their sets (`decide`, given what the sets decided), so the same rules mean the
 * same thing in memory and in Redis. Loaded only when some list has such rules.
 *
 * Precedence, first match deciding (AdGuard's): an `$important` exception, an `$important`
 * block, the sets' allow entries, exceptions, `$dnsrewrite` rules, the sets' block entries,
 * other blocks; within one kind, the earlier list and line. A `$badfilter` rule disables, in
 * every list, the rule with its text (modifiers in any order); for a plain `||name^` it
 * disables that entry wherever a set holds it.
 *
 * The rules a name matches (by name or regex, before type, client and list filter are looked
 * at) are kept per name, a bounded number: repeated names cost one Map lookup.
 */
import { CidrSet, parseCidr } from "../net/cidr.ts";
import { candidateEntries } from "./candidates.ts";
import { type Decision, NO_DECISION, type Rule } from "./decision.ts";
import { DomainSet } from "./domain_set.ts";
import type { ListRule, RuleQuery } from "./list_rule.ts";
import { type ListFilter, takesAllows, takesBlocks } from "./profile_policy.ts";
import { RegexIndex } from "./regex_index.ts";
import { runAtOnce } from "./slices.ts";

/** One list's rules. */
export interface ListRules {
  name: string;
  rules: readonly ListRule[];
}

interface Clients {
  cidrs: CidrSet | undefined;
  names: ReadonlySet<string>;
}

interface Compiled {
  readonly rule: ListRule;
  readonly list: string;
  readonly order: number;
  readonly denyallow?: DomainSet;
  readonly types?: ReadonlySet<number>;
  readonly notTypes?: ReadonlySet<number>;
  readonly clients?: Clients;
  readonly notClients?: Clients;
}

/** Names whose matching rules are kept; the table is emptied when full. */
const KEPT_NAMES = 4096;
const NOTHING: readonly Compiled[] = Object.freeze([]);

/** Rules compiled between two yields of `RuleBook.buildSteps`. */
const RULES_PER_STEP = 256;

export class RuleBook {
  #size = 0;
  #needsClient = false;
  readonly #byEntry = new Map<string, Compiled[]>();
  readonly #regexes = new RegexIndex<Compiled>([]);
  /** Plain entries a `$badfilter` disabled: "name", or "@@name" for an exception. */
  readonly #badEntries = new Set<string>();
  #kept = new Map<string, readonly Compiled[]>();

  /**
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { NO_DECISION } from "./decision.ts";
   * import { loadRuleParser, parseList } from "./parse.ts";
   * import { RuleBook } from "./rule_book.ts";
   *
   * await loadRuleParser();
   * const { rules } = parseList("/^ad[0-9]+\\./\n||x.example^$dnstype=AAAA");
   * const book = new RuleBook([{ name: "ads", rules }]);
   * const query = (type: number) => ({ question: { type }, client: { address: "" }, identity: {} });
   * assert.equal(book.decide("ad1.example", undefined, query(1), NO_DECISION).verdict, "blocked");
   * assert.equal(book.decide("x.example", undefined, query(1), NO_DECISION).verdict, "none");
   * assert.equal(book.decide("x.example", undefined, query(28), NO_DECISION).verdict, "blocked");
   * ```
   */
  constructor(lists: readonly ListRules[]) {
    runAtOnce(this.#fillSteps(lists));
  }

  /** The book as steps (slices.ts): ten thousand rules are built a few hundred at a time. */
  static *buildSteps(lists: readonly ListRules[]): Generator<void, RuleBook> {
    const book = new RuleBook([]);
    yield* book.#fillSteps(lists);
    return book;
  }

  /** Rules held, badfiltered ones excepted. */
  get size(): number {
    return this.#size;
  }

  /** True when a rule has `$client`: answers then depend on who asks, not only on what. */
  get needsClient(): boolean {
    return this.#needsClient;
  }

  *#fillSteps(lists: readonly ListRules[]): Generator<void, void> {
    const badKeys = new Set<string>();
    for (const list of lists) {
      for (const rule of list.rules) {
        if (!rule.badfilter) continue;
        badKeys.add(rule.key);
        if (rule.name !== undefined) {
          this.#badEntries.add(rule.allow ? `@@${rule.name}` : rule.name);
        }
      }
    }
    for (const list of lists) {
      for (const rule of list.rules) {
        if (rule.badfilter || badKeys.has(rule.key)) continue;
        const compiled = compile(rule, list, this.#size++);
        this.#needsClient ||= compiled.clients !== undefined || compiled.notClients !== undefined;
        if (rule.regex !== undefined) this.#regexes.add(rule.regex, compiled);
        else if (rule.name !== undefined) {
          const held = this.#byEntry.get(rule.name);
          if (held === undefined) this.#byEntry.set(rule.name, [compiled]);
          else held.push(compiled);
        }
        if (this.#size % RULES_PER_STEP === 0) yield;
      }
    }
  }

  /**
   * The decision for a canonical name, given what the store's sets decided (`held`), under a
   * profile's list filter. Without a query (`check`, the admin API), rules that ask for a type
   * or a client do not apply.
   */
  decide(
    name: string,
    filter: ListFilter | undefined,
    query: RuleQuery | undefined,
    held: Decision,
  ): Decision {
    if (this.#badEntries.size > 0) held = this.#unlessBadfiltered(held);
    const matched = this.#matching(name);
    if (matched.length === 0) return held;
    let importantAllow: Compiled | undefined;
    let importantBlock: Compiled | undefined;
    let allow: Compiled | undefined;
    let rewrite: Compiled | undefined;
    let block: Compiled | undefined;
    for (const compiled of matched) {
      if (!applies(compiled, name, filter, query)) continue;
      const rule = compiled.rule;
      if (rule.important) {
        if (rule.allow) importantAllow = first(importantAllow, compiled);
        else importantBlock = first(importantBlock, compiled);
      } else if (rule.allow) allow = first(allow, compiled);
      else if (rule.rewrite !== undefined) rewrite = first(rewrite, compiled);
      else block = first(block, compiled);
    }
    if (importantAllow !== undefined) return decided("allowed", importantAllow);
    if (importantBlock !== undefined) return decided("blocked", importantBlock);
    if (held.verdict === "allowed") return held;
    if (allow !== undefined) return decided("allowed", allow);
    if (rewrite !== undefined) return decided("blocked", rewrite);
    if (held.verdict === "blocked") return held;
    return block === undefined ? held : decided("blocked", block);
  }

  /** A sets' decision by an entry a `$badfilter` disabled counts as none. */
  #unlessBadfiltered(held: Decision): Decision {
    if (held.verdict === "none") return held;
    const entry = held.verdict === "allowed" ? `@@${held.rule.entry}` : held.rule.entry;
    return this.#badEntries.has(entry) ? NO_DECISION : held;
  }

  /** Rules whose name or regex matches, whatever else they ask; kept per name. */
  #matching(name: string): readonly Compiled[] {
    const kept = this.#kept.get(name);
    if (kept !== undefined) return kept;
    let found: Compiled[] | undefined;
    if (this.#byEntry.size > 0) {
      for (const entry of candidateEntries(name)) {
        const rules = this.#byEntry.get(entry);
        if (rules !== undefined) (found ??= []).push(...rules);
      }
    }
    const regexMatches = this.#regexes.matches(name);
    if (regexMatches.length > 0) (found ??= []).push(...regexMatches);
    const matched = found ?? NOTHING;
    if (this.#kept.size >= KEPT_NAMES) this.#kept = new Map();
    this.#kept.set(name, matched);
    return matched;
  }
}

function first(held: Compiled | undefined, candidate: Compiled): Compiled {
  return held === undefined || candidate.order < held.order ? candidate : held;
}

function decided(verdict: "allowed" | "blocked", compiled: Compiled): Decision {
  const rule: Rule = { list: compiled.list, entry: compiled.rule.text };
  if (compiled.rule.rewrite !== undefined) rule.rewrite = compiled.rule.rewrite;
  return { verdict, rule } as Decision;
}

function compile(rule: ListRule, list: ListRules, order: number): Compiled {
  return {
    rule,
    list: list.name,
    order,
    ...(rule.denyallow && { denyallow: DomainSet.from(rule.denyallow) }),
    ...(rule.types && { types: new Set(rule.types) }),
    ...(rule.notTypes && { notTypes: new Set(rule.notTypes) }),
    ...(rule.clients && { clients: clientsOf(rule.clients) }),
    ...(rule.notClients && { notClients: clientsOf(rule.notClients) }),
  };
}

/** Addresses and ranges as a CIDR set; anything else a ClientID or a client's name. */
function clientsOf(given: readonly string[]): Clients {
  const cidrs = [];
  const names = new Set<string>();
  for (const client of given) {
    const cidr = parseCidr(client);
    if (cidr === undefined) names.add(client);
    else cidrs.push(cidr);
  }
  return { cidrs: cidrs.length > 0 ? new CidrSet(cidrs) : undefined, names };
}

function applies(
  compiled: Compiled,
  name: string,
  filter: ListFilter | undefined,
  query: RuleQuery | undefined,
): boolean {
  // A list with rules counts as one that blocks (both stores count it so): its exceptions
  // count wherever its blocks do.
  const takes = compiled.rule.allow
    ? takesAllows(filter, compiled.list, true)
    : takesBlocks(filter, compiled.list);
  if (!takes) return false;
  if (compiled.denyallow?.matchName(name) !== undefined) return false;
  const { types, notTypes, clients, notClients } = compiled;
  if (types || notTypes || clients || notClients) {
    if (query === undefined) return false;
    const type = query.question.type;
    if (types !== undefined && !types.has(type)) return false;
    if (notTypes !== undefined && notTypes.has(type)) return false;
    if (clients !== undefined && !isClient(clients, query)) return false;
    if (notClients !== undefined && isClient(notClients, query)) return false;
  }
  return true;
}

/** The client is one of these: by address, ClientID or display name. */
function isClient(clients: Clients, query: RuleQuery): boolean {
  const { client, identity } = query;
  if (clients.cidrs?.has(client.address)) return true;
  const names = clients.names;
  if (names.size === 0) return false;
  const clientId = client.clientId ?? identity.clientId;
  return (clientId !== undefined && names.has(clientId.toLowerCase())) ||
    (identity.name !== undefined && names.has(identity.name.toLowerCase()));
}
