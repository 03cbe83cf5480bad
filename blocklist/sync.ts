/**
 * Sync: fetch every configured list, parse it, and swap it into the store, one list at a time
 * (so memory holds one list's text at once) while queries keep being answered. A list that
 * fails keeps its last good copy (on disk, or as already loaded); a list whose text did not
 * change is not reloaded; lists no longer configured are dropped. Runs at startup, every
 * refresh interval, from `deno task blocklist sync` and from the admin API.
 *
 * With Redis, one instance at a time syncs (a lock in Redis), and a list another instance
 * loaded within the refresh interval is left alone, so a fleet downloads each list once.
 */
import type { Blocklist, ListSummary, LoadedList } from "./blocklist.ts";
import { freeNow } from "../runtime/free_now.ts";
import { trimNativeHeap } from "../runtime/memory_trim.ts";
import { contentId } from "./content_id.ts";
import { CUSTOM_LIST } from "./decision.ts";
import { type FetchedList, fetchList, type FetchOptions } from "./fetch_list.ts";
import { EntryFingerprints } from "./domain_set.ts";
import { type InvalidLine, lineCountSteps, parseBytesSteps } from "./parse.ts";
import { buildListSets } from "./list_sets.ts";
import type { ListExtras } from "./set_file.ts";
import { SharedSets, type SharedSetsOptions } from "./shared_sets.ts";
import { runInSlices } from "./slices.ts";
import type { ListSource } from "./source.ts";

export interface ListReport {
  name: string;
  kind: ListSource["kind"];
  /** What happened: where the text came from, or why nothing was loaded. */
  outcome: FetchedList["origin"] | "unchanged" | "fresh-in-store" | "failed";
  blockEntries?: number;
  allowEntries?: number;
  /** IP entries, block and allow (absent: none). */
  ipEntries?: number;
  invalid?: { count: number; examples: InvalidLine[] };
  /** Rules with modifiers or regexes loaded (list_rule.ts), when there were any. */
  ruleEntries?: number;
  /** Rules skipped for a modifier only a browser honours: lines per modifier. */
  skippedModifiers?: Record<string, number>;
  error?: string;
  /**
   * With stored builds shared (`shareSets`): whether the sets were mapped from another
   * process's build or built here, and why they were not shared, when they were not (where
   * nothing can be shared, said with the first load only, and nothing after).
   */
  store?: { how: "mapped" | "built"; why?: string };
  ms: number;
}

export interface SyncReport {
  startedAt: number;
  finishedAt: number;
  lists: ListReport[];
  /** Set when this instance did not sync because another holds the lock. */
  skipped?: string;
}

/** The shared lock of the Redis store; absent for memory. */
export interface SyncLock {
  tryLock(holder: string, ttlSeconds: number): Promise<boolean>;
  unlock(holder: string): Promise<void>;
}

export interface SyncOptions extends FetchOptions {
  lock?: SyncLock;
  /**
   * Share the memory store's sets with the other processes on this machine through files
   * under `dir` (shared_sets.ts): true, or the sharing's own options (tests).
   */
  shareSets?: boolean | SharedSetsOptions;
}

const LOCK_SECONDS = 600;
/** Scratch freed by a load, bytes, from which the C heap is trimmed after it. */
const TRIM_AFTER_BYTES = 1 << 20;

export class ListSync {
  #blocklist: Blocklist;
  #sources: ListSource[];
  #options: SyncOptions;
  #running?: Promise<SyncReport>;
  #last?: SyncReport;
  /**
   * A lock this instance may still hold: its taking failed in a way that may have taken it (a
   * reply lost), or its release failed. Released before the next try, so that a Redis blip
   * does not leave this instance waiting for its own lock to lapse.
   */
  #maybeHeld?: string;

  /** Where builds are shared, when they are: the memory store, with a directory. */
  #shared?: SharedSets;

  constructor(blocklist: Blocklist, sources: ListSource[], options: SyncOptions) {
    this.#blocklist = blocklist;
    this.#sources = sources;
    this.#options = options;
    const { shareSets, dir } = options;
    if (shareSets && dir !== undefined && blocklist.takesFingerprints) {
      this.#shared = new SharedSets(dir, shareSets === true ? {} : shareSets);
    }
  }

  get sources(): readonly ListSource[] {
    return this.#sources;
  }

  /** The lists the next run syncs (the dashboard added or disabled one): the others go then. */
  setSources(sources: readonly ListSource[]): void {
    this.#sources = [...sources];
  }

  /** The last finished sync, for the admin API and metrics. */
  get lastReport(): SyncReport | undefined {
    return this.#last;
  }

  /**
   * Syncs every list; a call while one runs gets that run's report. With `only` (a local list
   * file that changed), reads those lists again whatever their age, after the sync under way.
   */
  run(force = false, only?: readonly string[]): Promise<SyncReport> {
    if (only !== undefined) {
      const after = (this.#running ?? Promise.resolve()).catch(() => {});
      return after.then(() => this.#sync(true, only));
    }
    this.#running ??= this.#sync(force).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sync(force: boolean, only?: readonly string[]): Promise<SyncReport> {
    const now = this.#options.now ?? Date.now;
    const startedAt = now();
    const holder = crypto.randomUUID();
    const lock = this.#options.lock;
    if (lock && this.#maybeHeld !== undefined) {
      await lock.unlock(this.#maybeHeld);
      this.#maybeHeld = undefined;
    }
    let locked: boolean | undefined;
    try {
      locked = lock && await lock.tryLock(holder, LOCK_SECONDS);
    } catch (error) {
      this.#maybeHeld = holder;
      throw error;
    }
    if (lock && !locked) {
      return { startedAt, finishedAt: now(), lists: [], skipped: "another instance is syncing" };
    }
    try {
      const held = new Map((await this.#blocklist.summary()).map((list) => [list.name, list]));
      const lists: ListReport[] = [];
      const sources = only === undefined
        ? this.#sources
        : this.#sources.filter((source) => only.includes(source.name));
      for (const source of sources) {
        lists.push(await this.#syncOne(source, held.get(source.name), force));
      }
      const report = { startedAt, finishedAt: now(), lists };
      if (only !== undefined) return report;
      const configured = new Set(this.#sources.map((source) => source.name));
      const drop = [...held.keys()].filter((name) => name !== CUSTOM_LIST && !configured.has(name));
      if (drop.length > 0) await this.#blocklist.load([], drop);
      // Stored builds of lists no longer configured (dropped now, or before a restart) go too.
      await this.#shared?.keepOnly(configured);
      this.#last = report;
      return report;
    } finally {
      await lock?.unlock(holder).catch(() => void (this.#maybeHeld = holder));
    }
  }

  async #syncOne(
    source: ListSource,
    held: ListSummary | undefined,
    force: boolean,
  ): Promise<ListReport> {
    const now = this.#options.now ?? Date.now;
    const started = performance.now();
    const report = (fields: Omit<ListReport, "name" | "kind" | "ms">): ListReport => ({
      name: source.name,
      kind: source.kind,
      ...fields,
      ms: Math.round(performance.now() - started),
    });
    if (!force && held?.loadedAt !== undefined && now() - held.loadedAt < this.#options.maxAgeMs) {
      return report({ outcome: "fresh-in-store", ...counts(held) });
    }
    let fetched: FetchedList;
    try {
      fetched = await fetchList(source, { ...this.#options, force });
    } catch (error) {
      return report({ outcome: "failed", error: (error as Error).message, ...counts(held) });
    }
    const { origin, error: fetchError } = fetched;
    const id = await contentId(fetched.bytes);
    if (held?.contentId === id) {
      freeNow(fetched.bytes);
      return report({ outcome: "unchanged", error: fetchError, ...counts(held) });
    }
    const shared = this.#shared;
    const lookup = shared && await shared.lookup(source.name, source.kind, id);
    try {
      let parsed: ParsedForStore;
      if (lookup?.found !== undefined) {
        const { sets, extras } = lookup.found;
        parsed = { list: listOf(source, id, extras), extras, freed: fetched.bytes.byteLength };
        parsed.list.sets = sets;
        freeNow(fetched.bytes);
      } else parsed = await this.#parse(source, id, fetched.bytes, shared !== undefined);
      const { list, extras } = parsed;
      // Stored before it is loaded, so another process waiting for it maps it the sooner; and
      // this one loads the file's mapping too, not its own copy: one copy for all of them.
      const stored = lookup?.claim && list.sets &&
        await shared!.store(lookup.claim, source.kind, id, { sets: list.sets, extras });
      if (typeof stored === "object") list.sets = stored.sets;
      const notStored = typeof stored === "string" ? stored : undefined;
      await this.#blocklist.load([list]);
      // The store holds its own copy: the fingerprints are freed now, and with the text (freed
      // after the parse) their pages go back to the system, not kept by the C heap. A small
      // list frees too little to matter.
      if (parsed.hashed !== undefined) freeNow(parsed.hashed.words);
      if ((parsed.freed ?? 0) >= TRIM_AFTER_BYTES) trimNativeHeap();
      // Distinct entries as the store counted them: a Set of a million names here would stall
      // the loop (`deno task bench:blocklist` builds one).
      const loaded = (await this.#blocklist.summary()).find((held) => held.name === source.name);
      const why = lookup?.why ?? notStored;
      return report({
        outcome: origin,
        error: fetchError,
        blockEntries: loaded?.blockEntries ?? 0,
        allowEntries: loaded?.allowEntries ?? 0,
        ...(loaded?.ipEntries === undefined ? {} : { ipEntries: loaded.ipEntries }),
        invalid: extras.invalid,
        ...(list.rules === undefined ? {} : { ruleEntries: list.rules.length }),
        ...(list.skippedModifiers && { skippedModifiers: list.skippedModifiers }),
        // Said when shared, or why not (once where nothing can be: no FFI).
        ...((lookup?.found || lookup?.claim || why) && {
          store: { how: lookup?.found ? "mapped" : "built", ...(why && { why }) },
        }),
      });
    } catch (error) {
      return report({ outcome: "failed", error: (error as Error).message, ...counts(held) });
    } finally {
      if (lookup?.claim) shared!.release(lookup.claim);
    }
  }

  /**
   * Parses the list's bytes (freed once read: this list's only copy) into what the store loads;
   * `withSets`: its sets built here, to be stored for other processes.
   */
  async #parse(
    source: ListSource,
    id: string,
    bytes: Uint8Array<ArrayBuffer>,
    withSets: boolean,
  ): Promise<ParsedForStore> {
    // The memory store takes the common lines' names hashed from the bytes: no string each.
    const hashed = this.#blocklist.takesFingerprints
      ? new EntryFingerprints(await runInSlices(lineCountSteps(bytes)))
      : undefined;
    const parsed = await runInSlices(parseBytesSteps(bytes, hashed));
    // The bytes are not needed past the parse: freed before the build, this list's only copy.
    const freed = bytes.byteLength + (hashed?.words.byteLength ?? 0);
    freeNow(bytes);
    const ips = parsed.ips && source.kind === "allow"
      ? { block: [], allow: [...parsed.ips.block, ...parsed.ips.allow] }
      : parsed.ips;
    // An allowlist's rules allow what they match, whatever their form; a rewrite is no allowing.
    const rules = source.kind === "allow"
      ? parsed.rules.filter((rule) => !rule.rewrite).map((rule) => ({ ...rule, allow: true }))
      : parsed.rules;
    const extras: ListExtras = { invalid: parsed.invalid };
    if (ips !== undefined) extras.ips = ips;
    if (rules.length > 0) extras.rules = rules;
    if (Object.keys(parsed.skippedModifiers).length > 0) {
      extras.skippedModifiers = parsed.skippedModifiers;
    }
    const list = listOf(source, id, extras);
    if (source.kind === "allow") list.allow = [...parsed.block, ...parsed.allow];
    else Object.assign(list, { block: parsed.block, allow: parsed.allow });
    if (hashed !== undefined) list.fingerprints = { kind: source.kind, entries: hashed };
    if (withSets) list.sets = await buildListSets(list);
    return { list, extras, hashed, freed };
  }
}

/** A list made ready for the store, and the scratch to give back once it is loaded. */
interface ParsedForStore {
  list: LoadedList;
  extras: ListExtras;
  /** Fingerprints the parse made, freed once the store holds its own. */
  hashed?: EntryFingerprints;
  /** Scratch bytes let go, from which the C heap is trimmed. */
  freed?: number;
}

/** The list to load, without its names yet: what the parse gave besides them. */
function listOf(source: ListSource, id: string, extras: ListExtras): LoadedList {
  const list: LoadedList = { name: source.name, block: [], allow: [], contentId: id };
  if (extras.ips !== undefined) list.ips = extras.ips;
  if (extras.rules !== undefined) list.rules = extras.rules;
  if (extras.skippedModifiers !== undefined) list.skippedModifiers = extras.skippedModifiers;
  return list;
}

/** What a list already held reports when it is not loaded again. */
function counts(held: ListSummary | undefined) {
  if (held === undefined) return {};
  const { blockEntries, allowEntries, ipEntries, ruleEntries, skippedModifiers } = held;
  return {
    blockEntries,
    allowEntries,
    ...(ipEntries === undefined ? {} : { ipEntries }),
    ...(ruleEntries === undefined ? {} : { ruleEntries }),
    ...(skippedModifiers === undefined ? {} : { skippedModifiers }),
  };
}
