/**
 * Which lists are synced: those of the settings (BLOCKLIST_URLS, ALLOWLIST_URLS) and those
 * added from the dashboard, each enabled or not. What the dashboard changes is kept, so it
 * survives a restart: in Redis when there is one (every instance syncs the same lists), else
 * in `<BLOCKLIST_DIR>/lists.json`; with neither (Deno Deploy without Redis) for the process's
 * life.
 *
 * Who wins: the settings name their lists, and a list added here takes a name no setting uses
 * (a setting that later takes its name wins, and the added list is shown as shadowed);
 * disabling is kept by name and holds for a list of either origin until enabled again.
 *
 * `catalogSync` makes every sync (the schedule's, the admin API's, the dashboard's) read the
 * kept catalog first, so a list added or disabled on one instance is loaded or dropped by the
 * next sync anywhere.
 */
import type { RedisStore } from "../store/redis.ts";
import type { ListSyncer } from "./lazy_sync.ts";
import { type ListSource, parseSources } from "./source.ts";
import type { SyncReport } from "./sync.ts";

/** Most lists added from the dashboard. */
export const MAX_ADDED_LISTS = 100;

/** What is kept of the dashboard's changes. */
export interface CatalogState {
  added: ListSource[];
  disabled: string[];
}

/** Where the catalog is kept. */
export interface CatalogStore {
  readonly description: string;
  /** The kept state; undefined when none was kept yet. */
  load(): Promise<CatalogState | undefined>;
  save(state: CatalogState): Promise<void>;
}

export interface CatalogEntry {
  source: ListSource;
  origin: "settings" | "dashboard";
  enabled: boolean;
  /** An added list whose name a setting took since: the setting's is synced. */
  shadowed?: boolean;
}

export class ListCatalog {
  #settings: readonly ListSource[];
  #store?: CatalogStore;
  #state: CatalogState = { added: [], disabled: [] };
  #cwd: string;
  /** Changes saved by this instance, so a read begun before one is not taken after it. */
  #saves = 0;

  constructor(settings: readonly ListSource[], options: { store?: CatalogStore; cwd?: string }) {
    this.#settings = settings;
    this.#store = options.store;
    this.#cwd = options.cwd ?? "/";
  }

  /** Where the dashboard's changes are kept ("none" when they last as long as the process). */
  get storedIn(): string {
    return this.#store?.description ?? "none";
  }

  /**
   * Reads the kept catalog (at startup, before each sync, when the page is shown). A read that
   * a change of this instance's overtook is not taken: it would undo that change.
   */
  async refresh(): Promise<void> {
    const saves = this.#saves;
    const kept = await this.#store?.load();
    if (kept !== undefined && saves === this.#saves) this.#state = kept;
  }

  /** The lists to sync: enabled, a setting's first where names meet. */
  sources(): ListSource[] {
    return this.entries().filter((entry) => entry.enabled && !entry.shadowed).map((e) => e.source);
  }

  entries(): CatalogEntry[] {
    const disabled = new Set(this.#state.disabled);
    const taken = new Set(this.#settings.map((source) => source.name));
    return [
      ...this.#settings.map((source) => ({
        source,
        origin: "settings" as const,
        enabled: !disabled.has(source.name),
      })),
      ...this.#state.added.map((source) => ({
        source,
        origin: "dashboard" as const,
        enabled: !disabled.has(source.name),
        ...(taken.has(source.name) ? { shadowed: true } : {}),
      })),
    ];
  }

  /**
   * Adds a list by name and location (an http(s) URL, or a file path that exists); throws an
   * Error with a one-line message when either is not usable or the name is taken.
   */
  async add(name: string, location: string, kind: ListSource["kind"]): Promise<ListSource> {
    await this.refresh();
    if (this.#state.added.length >= MAX_ADDED_LISTS) {
      throw new Error(`at most ${MAX_ADDED_LISTS} lists can be added here`);
    }
    if (name.trim() === "") throw new Error("a list needs a name");
    if (/[=,]/.test(name) || /,/.test(location) || location.trim() === "") {
      throw new Error("expected a name (letters, digits, . _ -) and one URL or file path");
    }
    const taken = new Set(this.entries().map((entry) => entry.source.name));
    const [source] = parseSources(`${name.trim()}=${location.trim()}`, kind, taken, this.#cwd);
    if (!/^https?:/i.test(source.location)) {
      const info = await Deno.stat(source.location).catch(() => undefined);
      if (!info?.isFile) throw new Error(`${source.location}: no such file`);
    }
    await this.#save({ ...this.#state, added: [...this.#state.added, source] });
    return source;
  }

  /** Enables or disables a list of either origin; false when no list has that name. */
  async setEnabled(name: string, enabled: boolean): Promise<boolean> {
    await this.refresh();
    if (!this.entries().some((entry) => entry.source.name === name)) return false;
    const disabled = this.#state.disabled.filter((one) => one !== name);
    if (!enabled) disabled.push(name);
    await this.#save({ ...this.#state, disabled });
    return true;
  }

  /** Removes a list added here; false when there is none of that name. */
  async remove(name: string): Promise<boolean> {
    await this.refresh();
    const added = this.#state.added.filter((source) => source.name !== name);
    if (added.length === this.#state.added.length) return false;
    const disabled = this.#state.disabled.filter((one) => one !== name);
    await this.#save({ added, disabled });
    return true;
  }

  async #save(state: CatalogState): Promise<void> {
    this.#saves++;
    await this.#store?.save(state);
    this.#state = state;
  }
}

/** The catalog kept as JSON in a file (under BLOCKLIST_DIR). */
export function fileCatalogStore(path: string): CatalogStore {
  return {
    description: path,
    async load() {
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch {
        return undefined;
      }
      return parseState(text, path);
    },
    async save(state) {
      const { atomicWrite } = await import("../runtime/atomic_write.ts");
      await atomicWrite(path, JSON.stringify(state, null, 2));
    },
  };
}

/** The catalog kept as JSON in one Redis key, which every instance reads. */
export function redisCatalogStore(store: RedisStore, prefix: string): CatalogStore {
  const key = `${prefix}lists`;
  return {
    description: `redis key ${key}`,
    async load() {
      const text = await store.getString(key);
      return text === null ? undefined : parseState(text, key);
    },
    save: (state) => store.setString(key, JSON.stringify(state)),
  };
}

/**
 * A sync of what the catalog names now: each run reads the kept catalog first. A catalog that
 * cannot be read (Redis down) keeps the lists last read.
 */
export function catalogSync(
  catalog: ListCatalog,
  sync: ListSyncer & { setSources(sources: readonly ListSource[]): void },
  onError: (error: unknown) => void = () => {},
): ListSyncer {
  return {
    get sources() {
      return sync.sources;
    },
    get lastReport() {
      return sync.lastReport;
    },
    async run(force?: boolean, only?: readonly string[]): Promise<SyncReport> {
      await catalog.refresh().catch(onError);
      sync.setSources(catalog.sources());
      return await sync.run(force, only);
    },
  };
}

export interface OpenCatalogOptions {
  /** The settings' lists (BLOCKLIST_URLS, ALLOWLIST_URLS). */
  sources: readonly ListSource[];
  /** BLOCKLIST_DIR, where the catalog is kept without Redis; absent: not kept. */
  dir?: string;
  redis?: { store: RedisStore; prefix: string };
  cwd: string;
  /** The sync of the settings' lists (create.ts), which then syncs the catalog's. */
  sync: ListSyncer & { setSources(sources: readonly ListSource[]): void };
  onError?: (error: unknown) => void;
  /** Where a catalog that cannot be read is said; console.error by default. */
  print?: (line: string) => void;
}

/**
 * The catalog where it is kept (Redis, else the file under BLOCKLIST_DIR), and the sync of its
 * lists, for the server and the CLI alike. It is read in the background (no round trip to Redis
 * before the door opens; every sync reads it again first anyway). One that cannot be read is
 * said in one line, and the settings' lists are synced meanwhile. `ready` settles once it is read.
 */
export function openListCatalog(
  options: OpenCatalogOptions,
): { catalog: ListCatalog; sync: ListSyncer; ready: Promise<void> } {
  const { redis, dir } = options;
  const catalog = new ListCatalog(options.sources, {
    store: redis
      ? redisCatalogStore(redis.store, redis.prefix)
      : dir === undefined
      ? undefined
      : fileCatalogStore(`${dir}/lists.json`),
    cwd: options.cwd,
  });
  const print = options.print ?? console.error;
  const ready = catalog.refresh().then(
    () => options.sync.setSources(catalog.sources()),
    (error) =>
      print(`lists kept from the dashboard: ${error.message}; the settings' lists meanwhile`),
  );
  return { catalog, sync: catalogSync(catalog, options.sync, options.onError), ready };
}

/** A kept state, its lists checked again; a file or key that is not one says so. */
function parseState(text: string, where: string): CatalogState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  const { added, disabled } = (value ?? {}) as Partial<Record<keyof CatalogState, unknown>>;
  const sources = Array.isArray(added) ? added : [];
  return {
    added: sources.filter((source): source is ListSource =>
      typeof source?.name === "string" && typeof source?.location === "string" &&
      (source.kind === "block" || source.kind === "allow")
    ).slice(0, MAX_ADDED_LISTS),
    disabled: Array.isArray(disabled)
      ? disabled.filter((name) => typeof name === "string").slice(0, 2 * MAX_ADDED_LISTS)
      : [],
  };
}
