/**
 * A list sync that loads the sync machinery (blocklist/sync.ts and what it imports: fetching,
 * parsing, content ids) when it first runs. The server's first sync runs a moment after startup
 * (main.ts), so a fresh process answers its first queries without those modules
 * (tests/startup_graph_test.ts): each one a process loads delays its first answer.
 */
import type { Blocklist } from "./blocklist.ts";
import type { ListSource } from "./source.ts";
import type { ListSync, SyncOptions, SyncReport } from "./sync.ts";

/** What the scheduler, the admin API and the CLI use of a sync. */
export type ListSyncer = Pick<ListSync, "sources" | "lastReport" | "run">;

export class LazyListSync implements ListSyncer {
  #sources: readonly ListSource[];
  #make: () => Promise<ListSync>;
  #sync?: Promise<ListSync>;
  #loaded?: ListSync;

  constructor(blocklist: Blocklist, sources: ListSource[], options: SyncOptions) {
    this.#sources = sources;
    this.#make = async () => {
      const { ListSync } = await import("./sync.ts");
      return this.#loaded = new ListSync(blocklist, [...this.#sources], options);
    };
  }

  get sources(): readonly ListSource[] {
    return this.#sources;
  }

  /** The lists the next run syncs (ListSync's `setSources`). */
  setSources(sources: readonly ListSource[]): void {
    this.#sources = sources;
    this.#loaded?.setSources(sources);
  }

  get lastReport(): SyncReport | undefined {
    return this.#loaded?.lastReport;
  }

  /** Syncs every list (runs asked for at once share one, as ListSync's do), or `only` those. */
  async run(force = false, only?: readonly string[]): Promise<SyncReport> {
    // A failed import is tried again by the next run.
    this.#sync ??= this.#make().catch((error) => {
      this.#sync = undefined;
      throw error;
    });
    return await (await this.#sync).run(force, only);
  }
}
