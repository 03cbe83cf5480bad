/**
 * The Redis store: the lists live in Redis sets that every instance reads, so Deno Deploy
 * isolates and several VMs block the same names (DESIGN §6).
 *
 * Keys, under the configured prefix:
 * - `bl:block:<list>`, `bl:allow:<list>`: a list's entries, one set each;
 * - `bl:lists`: JSON of the lists held and their sizes (which sets to ask), the custom list's
 *   with a content id that moves with every edit;
 * - `bl:rules:<list>`: JSON of a list's rules with modifiers or regexes (list_rule.ts), when it
 *   has any: few, so they travel whole and each instance compiles them into its own rule book
 *   (rule_book.ts) when the version moves, and applies them after the sets' answer;
 * - `bl:version`: a counter bumped by every load and edit, started from the clock so that its
 *   values do not repeat after Redis lost it;
 * - `bl:ipblock:<list>`, `bl:ipallow:<list>`: a list's IP entries, when it has any. They are
 *   few, so each instance reads them whole when the version moves and matches answers'
 *   addresses locally (ip_ranges.ts), with no round trip per answer.
 *
 * A decision is one round trip: SMISMEMBER of the name's candidate entries against every set,
 * pipelined. It is then kept in a short-lived local cache, so a repeated name costs none.
 * Every instance polls the version (one GET a second) and clears that cache when it moves, so
 * an edit made through any instance takes effect everywhere within a second or so.
 *
 * A list is replaced atomically: its new entries go into a temporary set, which RENAME then
 * puts in place of the old one.
 */
import type { RedisStore } from "../store/redis.ts";
import type { AddressRules, Blocklist, EntryKind, ListSummary, LoadedList } from "./blocklist.ts";
import { candidateEntries } from "./candidates.ts";
import { contentId } from "./content_id.ts";
import type { CustomEntries } from "./custom_copy.ts";
import { CUSTOM_LIST, type Decision, NO_DECISION } from "./decision.ts";
import { DecisionCache } from "./decision_cache.ts";
import { type IpList, IpRanges, IpRules } from "./ip_ranges.ts";
import type { ListRule, RuleQuery } from "./list_rule.ts";
import { type ListFilter, takesAllows, takesBlocks } from "./profile_policy.ts";
import type { RuleBook } from "./rule_book.ts";
import { runInSlices } from "./slices.ts";

export interface RedisBlocklistOptions {
  /** Prefix of every key ("dns:" by default). */
  prefix: string;
  /** How long a decision is reused locally, milliseconds. */
  decisionLifetimeMs: number;
  /** How often the version is polled, milliseconds; 0 turns polling off (tests, CLI). */
  pollMs: number;
  /** Called with polling failures (Redis down), for the log. */
  onError?: (error: unknown) => void;
  /**
   * Called when Redis holds no lists: they vanished (it restarted without persistence, or was
   * flushed) or were never loaded (it was down when this instance started). The caller syncs
   * them in, and puts the admin entries back (`restoreCustom`). `before`: the lists this
   * instance saw last.
   */
  onLost?: (before: ListSummary[]) => void;
  /**
   * Called with every admin entry whenever they change, through this instance or another, so
   * the caller keeps a copy for `restoreCustom` (custom_copy.ts).
   */
  onCustomChange?: (custom: CustomEntries) => void | Promise<void>;
  now?: () => number;
}

export class RedisBlocklist implements Blocklist {
  readonly description: string;
  #store: RedisStore;
  #prefix: string;
  #cache: DecisionCache;
  #lists: ListSummary[] = [];
  #addressRules: AddressRules | undefined;
  /** The lists' rules as last read, when some list has any. */
  #book: RuleBook | undefined;
  /** Which loads of which lists `#book` was read from: unchanged, it is not read again. */
  #bookOf = "";
  /** `bl:version` as last read from Redis. */
  #seenVersion: string | null | undefined;
  /** Moves seen in it, for `version`. */
  #changes = 0;
  #timer?: ReturnType<typeof setInterval>;
  #onError: (error: unknown) => void;
  #onLost: (before: ListSummary[]) => void;
  #onCustomChange?: (custom: CustomEntries) => void | Promise<void>;
  /** The custom list's content id as last seen (or made) here. */
  #customSeen?: string;
  #now: () => number;

  constructor(store: RedisStore, options: RedisBlocklistOptions) {
    this.description = store.description;
    this.#store = store;
    this.#prefix = `${options.prefix}bl:`;
    this.#cache = new DecisionCache({ lifetimeMs: options.decisionLifetimeMs, now: options.now });
    this.#onError = options.onError ?? (() => {});
    this.#onLost = options.onLost ?? (() => {});
    this.#onCustomChange = options.onCustomChange;
    this.#now = options.now ?? Date.now;
    if (options.pollMs > 0) {
      this.#timer = setInterval(() => void this.refresh().catch(this.#onError), options.pollMs);
      Deno.unrefTimer(this.#timer);
    }
  }

  /**
   * Reads the version and, when it moved, the list of lists, clearing the decision cache.
   * Called by the poll; call it once at startup to know the lists before the first query.
   */
  async refresh(): Promise<void> {
    const version = await this.#store.getString(this.#key("version"));
    if (version === this.#seenVersion) return;
    // No lists in Redis: lost (restarted empty, flushed), or never loaded, say because Redis
    // was down when this instance started. Either way the lists need loading.
    const lost = version === null && this.#seenVersion !== null;
    const meta = await this.#store.getString(this.#key("lists"));
    const lists = meta === null ? [] : parseMeta(meta);
    // Read before anything is taken as seen: a failure here is retried at the next poll.
    const addressRules = await this.#readIpEntries(lists);
    const book = await this.#readBook(lists);
    const before = this.#lists;
    this.#lists = lists;
    this.#addressRules = addressRules;
    this.#book = book;
    this.#seenVersion = version;
    this.#changes++;
    this.#cache.clear();
    if (lost) this.#onLost(before);
    // Another instance edited the admin entries: the copy follows.
    const held = this.#lists.find((list) => list.name === CUSTOM_LIST);
    const custom = held && (held.contentId ?? "written before content ids");
    if (custom !== undefined && custom !== this.#customSeen && this.#onCustomChange) {
      this.#customSeen = custom;
      void this.customEntries().then(this.#onCustomChange).catch(this.#onError);
    }
  }

  get version(): number {
    return this.#changes;
  }

  get addressRules(): AddressRules | undefined {
    return this.#addressRules;
  }

  get needsClient(): boolean {
    return this.#book?.needsClient ?? false;
  }

  async decide(name: string, filter?: ListFilter, query?: RuleQuery): Promise<Decision> {
    // A decision holds for the lists that made it: one profile's is not another's. What is
    // kept is the sets' decision; the rules, which may ask for the type and client, come after.
    const key = filter === undefined ? name : `${filter.key}\n${name}`;
    const book = this.#book;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      return book === undefined ? cached : book.decide(name, filter, query, cached);
    }
    const version = this.#seenVersion;
    const lists = this.#askedLists();
    const asked = [
      ...lists.filter((list) => takesAllows(filter, list.name, hasBlocks(list)))
        .map((list) => ["allow", list.name]),
      ...lists.filter((list) => takesBlocks(filter, list.name)).map((list) => ["block", list.name]),
    ] as [EntryKind, string][];
    const keys = asked.map(([kind, list]) => this.#setKey(kind, list));
    const candidates = candidateEntries(name);
    const found = await this.#store.smismemberMany(keys, candidates);
    const decision = decisionFrom(asked, candidates, found);
    // A version change while the call was out may have made this answer old: keep it only
    // when no change was seen meanwhile.
    if (version === this.#seenVersion) this.#cache.set(key, decision);
    return book === undefined ? decision : book.decide(name, filter, query, decision);
  }

  async load(lists: LoadedList[], drop: string[] = []): Promise<void> {
    // Distinct entries as Redis counted them: a Set of a million strings here would stall the
    // loop (`deno task bench:blocklist` builds one).
    const sizes = new Map<
      string,
      Pick<
        ListSummary,
        "blockEntries" | "allowEntries" | "ipEntries" | "ruleEntries" | "skippedModifiers"
      >
    >();
    for (const list of lists) {
      const ipEntries =
        await this.#replaceSet(this.#ipKey("block", list.name), list.ips?.block ?? []) +
        await this.#replaceSet(this.#ipKey("allow", list.name), list.ips?.allow ?? []);
      const rules = list.rules ?? [];
      if (rules.length > 0) {
        await this.#store.setString(this.#rulesKey(list.name), JSON.stringify(rules));
      } else await this.#store.del([this.#rulesKey(list.name)]);
      sizes.set(list.name, {
        blockEntries: await this.#replaceSet(this.#setKey("block", list.name), list.block),
        allowEntries: await this.#replaceSet(this.#setKey("allow", list.name), list.allow),
        ...(list.ips === undefined ? {} : { ipEntries }),
        ...(rules.length > 0 ? { ruleEntries: rules.length } : {}),
        ...(list.skippedModifiers && { skippedModifiers: list.skippedModifiers }),
      });
    }
    const gone = drop.filter((name) => name !== CUSTOM_LIST);
    const keys = gone.flatMap((name) => [
      this.#setKey("allow", name),
      this.#setKey("block", name),
      this.#ipKey("allow", name),
      this.#ipKey("block", name),
      this.#rulesKey(name),
    ]);
    if (keys.length > 0) await this.#store.del(keys);
    const loaded = new Map(lists.map((list) => [list.name, list]));
    await this.#updateMeta((current) => [
      ...current.filter((list) => !loaded.has(list.name) && !gone.includes(list.name)),
      ...lists.map((list) => ({
        name: list.name,
        ...sizes.get(list.name)!,
        ...(list.contentId === undefined ? {} : { contentId: list.contentId }),
        loadedAt: this.#now(),
      })),
    ]);
  }

  async edit(action: "add" | "remove", kind: EntryKind, names: string[]): Promise<number> {
    const key = this.#setKey(kind, CUSTOM_LIST);
    const changed = action === "add"
      ? await this.#store.sadd(key, names)
      : await this.#store.srem(key, names);
    if (changed > 0) {
      const custom = await this.#recordCustom();
      await this.#onCustomChange?.(custom);
    }
    return changed;
  }

  /**
   * Puts admin entries back after Redis lost them (from the caller's copy); entries held
   * meanwhile stay.
   */
  async restoreCustom(custom: CustomEntries): Promise<void> {
    for (const kind of ["block", "allow"] as const) {
      if (custom[kind].length > 0) {
        await this.#store.sadd(this.#setKey(kind, CUSTOM_LIST), custom[kind]);
      }
    }
    await this.#recordCustom();
  }

  async customEntries(): Promise<Record<EntryKind, string[]>> {
    const [block, allow] = await Promise.all([
      this.#store.smembers(this.#setKey("block", CUSTOM_LIST)),
      this.#store.smembers(this.#setKey("allow", CUSTOM_LIST)),
    ]);
    return { block: block.sort(), allow: allow.sort() };
  }

  async summary(): Promise<ListSummary[]> {
    await this.refresh();
    return this.#lists.map((list) => ({ ...list }));
  }

  /**
   * Takes the shared sync lock (SET NX with an expiry, so a crashed holder frees it): one
   * instance at a time downloads and loads the lists. Resolves to whether it was taken.
   */
  tryLock(holder: string, ttlSeconds: number): Promise<boolean> {
    return this.#store.setIfAbsent(this.#key("sync-lock"), holder, ttlSeconds);
  }

  /** Frees the sync lock when `holder` still holds it. */
  async unlock(holder: string): Promise<void> {
    if (await this.#store.getString(this.#key("sync-lock")) === holder) {
      await this.#store.del([this.#key("sync-lock")]);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** The custom list first (an admin's entry is the one reported), then the loaded lists. */
  #askedLists(): Pick<ListSummary, "name" | "blockEntries" | "ruleEntries">[] {
    const loaded = this.#lists
      .filter((list) => list.name !== CUSTOM_LIST && list.blockEntries + list.allowEntries > 0);
    return [{ name: CUSTOM_LIST, blockEntries: 0 }, ...loaded];
  }

  /** The rule book of the lists that have rules; undefined when none has. */
  async #readBook(lists: ListSummary[]): Promise<RuleBook | undefined> {
    const withRules = lists.filter((list) => (list.ruleEntries ?? 0) > 0);
    if (withRules.length === 0) return undefined;
    // An edit of the admin entries moves the version too: the rules stay as they were.
    const of = withRules.map((list) => `${list.name} ${list.contentId} ${list.loadedAt}`).join(
      "\n",
    );
    if (of === this.#bookOf && this.#book !== undefined) return this.#book;
    const texts = await Promise.all(
      withRules.map((list) => this.#store.getString(this.#rulesKey(list.name))),
    );
    const { RuleBook } = await import("./rule_book.ts");
    const book = await runInSlices(RuleBook.buildSteps(
      withRules.map((list, i) => ({ name: list.name, rules: parseRules(texts[i]) })),
    ));
    this.#bookOf = of;
    return book;
  }

  /** Writes the custom list's sizes and content id into the list of lists; returns its entries. */
  async #recordCustom(): Promise<CustomEntries> {
    const custom = await this.customEntries();
    const id = await contentId(JSON.stringify(custom));
    // Seen before it is written: this instance's copy is made by the caller, not by refresh.
    this.#customSeen = id;
    await this.#updateMeta((current) => [
      {
        name: CUSTOM_LIST,
        blockEntries: custom.block.length,
        allowEntries: custom.allow.length,
        contentId: id,
      },
      ...current.filter((list) => list.name !== CUSTOM_LIST),
    ]);
    return custom;
  }

  /** Replaces the set at `key` with `entries`; returns how many distinct entries it holds. */
  async #replaceSet(key: string, entries: string[]): Promise<number> {
    if (entries.length === 0) {
      await this.#store.del([key]);
      return 0;
    }
    const loading = `${key}:loading:${crypto.randomUUID()}`;
    try {
      const added = await this.#store.sadd(loading, entries);
      await this.#store.rename(loading, key);
      return added;
    } catch (error) {
      await this.#store.del([loading]).catch(() => {});
      throw error;
    }
  }

  /** Rewrites the list of lists and bumps the version, so every instance rereads it. */
  async #updateMeta(update: (current: ListSummary[]) => ListSummary[]): Promise<void> {
    const meta = await this.#store.getString(this.#key("lists"));
    const next = update(meta === null ? [] : parseMeta(meta));
    await this.#store.setString(this.#key("lists"), JSON.stringify(next));
    const version = await this.#store.incr(this.#key("version"));
    // A counter that starts again (Redis lost it, say restarting empty) goes on from the clock:
    // an instance that did not see the loss must not take a new value for one it saw before
    // it, and keep lists and decisions that are gone.
    if (version === 1) await this.#store.setString(this.#key("version"), String(Date.now()));
    await this.refresh();
  }

  #key(name: string): string {
    return this.#prefix + name;
  }

  #rulesKey(list: string): string {
    return `${this.#prefix}rules:${list}`;
  }

  #setKey(kind: EntryKind, list: string): string {
    return `${this.#prefix}${kind}:${list}`;
  }

  #ipKey(kind: EntryKind, list: string): string {
    return `${this.#prefix}ip${kind}:${list}`;
  }

  /** The IP entries of the lists that have any, read whole (they are few: ip_entry.ts). */
  async #readIpEntries(lists: ListSummary[]): Promise<IpRules | undefined> {
    const ipLists: IpList[] = [];
    for (const list of lists) {
      if (!list.ipEntries) continue;
      const [block, allow] = await Promise.all([
        this.#store.smembers(this.#ipKey("block", list.name)),
        this.#store.smembers(this.#ipKey("allow", list.name)),
      ]);
      ipLists.push({
        name: list.name,
        hasBlocks: list.blockEntries + block.length > 0,
        block: new IpRanges(block),
        allow: new IpRanges(allow),
      });
    }
    return ipLists.length === 0 ? undefined : new IpRules(ipLists);
  }
}

/**
 * The first set holding a candidate decides: the sets come allow sets first (an allow entry of
 * any list wins over block entries), within a kind lists in order.
 */
function decisionFrom(
  asked: [EntryKind, string][],
  candidates: string[],
  found: boolean[][],
): Decision {
  for (let i = 0; i < asked.length; i++) {
    const at = found[i].indexOf(true);
    if (at === -1) continue;
    const [kind, list] = asked[i];
    const rule = { list, entry: candidates[at] };
    return kind === "allow" ? { verdict: "allowed", rule } : { verdict: "blocked", rule };
  }
  return NO_DECISION;
}

/**
 * Whether a list's own exceptions count with its block entries (profile_policy.ts): it has
 * block entries, or rules (counted so by both stores, whatever the rules are).
 */
function hasBlocks(list: Pick<ListSummary, "blockEntries" | "ruleEntries">): boolean {
  return list.blockEntries > 0 || (list.ruleEntries ?? 0) > 0;
}

/** A list's rules as another instance wrote them; what is not a rule is left out. */
function parseRules(text: string | null): ListRule[] {
  if (text === null) return [];
  try {
    const value = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter((item): item is ListRule =>
      typeof item?.text === "string" && typeof item.key === "string" &&
      typeof item.allow === "boolean"
    );
  } catch {
    return [];
  }
}

function parseMeta(text: string): ListSummary[] {
  try {
    const value = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter((item): item is ListSummary =>
      typeof item?.name === "string" && Number.isInteger(item.blockEntries) &&
      Number.isInteger(item.allowEntries)
    );
  } catch {
    return [];
  }
}
