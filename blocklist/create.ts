/**
 * Builds the blocklist the settings ask for: the Redis store when Redis is configured (lists
 * shared by every instance, one sync at a time through a lock), memory otherwise, with admin
 * edits kept in `<BLOCKLIST_DIR>/custom.json` so a restart does not lose them.
 */
import type { BlocklistConfig, RedisConfig } from "../config.ts";
import type { RedisStore } from "../store/redis.ts";
import type { Blocklist, EntryKind } from "./blocklist.ts";
import { MemoryBlocklist } from "./memory_blocklist.ts";
import { LazyListSync, type ListSyncer } from "./lazy_sync.ts";
import type { SyncReport } from "./sync.ts";

export interface BlocklistSetup {
  blocklist: Blocklist;
  sync: ListSyncer;
}

export interface BlocklistSetupOptions {
  config: BlocklistConfig;
  redis?: { config: RedisConfig; store: RedisStore };
  /** Poll the Redis version (the server); off for one-shot commands. */
  poll: boolean;
  onError?: (error: unknown) => void;
  /** Told about syncs the blocklist starts by itself (Redis found empty). */
  onResync?: (report: SyncReport) => void;
}

/** How often instances look at the shared lists' version, milliseconds. */
const VERSION_POLL_MS = 1000;

export async function createBlocklist(options: BlocklistSetupOptions): Promise<BlocklistSetup> {
  const { config, redis } = options;
  const fetchOptions = {
    dir: config.dir,
    maxAgeMs: config.refreshMs,
    maxBytes: config.maxBytes,
    timeoutMs: config.downloadTimeoutMs,
  };
  if (redis) {
    // Only with Redis: a fresh memory-only process does not load it (tests/startup_graph_test.ts).
    const { RedisBlocklist } = await import("./redis_blocklist.ts");
    const holder: { sync?: ListSyncer } = {};
    const blocklist = new RedisBlocklist(redis.store, {
      prefix: redis.config.prefix,
      decisionLifetimeMs: config.decisionCacheMs,
      pollMs: options.poll ? VERSION_POLL_MS : 0,
      onError: options.onError,
      // Redis came back empty: load the lists again (from the disk copies where there are).
      onLost: () => void holder.sync?.run().then(options.onResync, options.onError),
    });
    await blocklist.refresh().catch(options.onError);
    holder.sync = new LazyListSync(blocklist, config.sources, { ...fetchOptions, lock: blocklist });
    return { blocklist, sync: holder.sync };
  }
  const customFile = config.dir && `${config.dir}/custom.json`;
  const blocklist = new MemoryBlocklist({
    custom: customFile ? await readCustom(customFile) : undefined,
    onCustomChange: customFile ? (custom) => writeCustom(customFile, custom) : undefined,
  });
  return { blocklist, sync: new LazyListSync(blocklist, config.sources, fetchOptions) };
}

async function readCustom(path: string): Promise<Record<EntryKind, string[]> | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    const strings = (list: unknown) =>
      Array.isArray(list) ? list.filter((item) => typeof item === "string") : [];
    return { block: strings(value?.block), allow: strings(value?.allow) };
  } catch {
    return undefined;
  }
}

async function writeCustom(path: string, custom: Record<EntryKind, string[]>): Promise<void> {
  try {
    // Imported on the first edit: a fresh process does not load it.
    const { atomicWrite } = await import("./atomic_write.ts");
    await atomicWrite(path, JSON.stringify(custom, null, 2));
  } catch {
    // Nowhere to write (Deno Deploy): edits live as long as the process.
  }
}
