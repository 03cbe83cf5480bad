/**
 * Builds the blocklist the settings ask for: the Redis store when Redis is configured (lists
 * shared by every instance, one sync at a time through a lock), memory otherwise. Either way
 * admin edits are kept in `<BLOCKLIST_DIR>/custom.json` (custom_copy.ts), so neither a restart
 * nor a Redis that comes back empty loses them.
 */
import type { BlocklistConfig, RedisConfig } from "../config.ts";
import type { RedisStore } from "../store/redis.ts";
import type { Blocklist } from "./blocklist.ts";
import { customCopyWriter, readCustomCopy, restoreCustomCopy } from "./custom_copy.ts";
import { MemoryBlocklist } from "./memory_blocklist.ts";
import { LazyListSync } from "./lazy_sync.ts";
import type { SyncReport } from "./sync.ts";

export interface BlocklistSetup {
  blocklist: Blocklist;
  /** Syncs the settings' lists until told others (`setSources`: the dashboard's catalog). */
  sync: LazyListSync;
}

export interface BlocklistSetupOptions {
  config: BlocklistConfig;
  redis?: { config: RedisConfig; store: RedisStore };
  /** Poll the Redis version (the server); off for one-shot commands. */
  poll: boolean;
  onError?: (error: unknown) => void;
  /** Told about syncs the blocklist starts by itself (Redis found empty). */
  onResync?: (report: SyncReport) => void;
  /**
   * Share the memory store's builds with the other processes on this machine (WORKERS, a
   * restart) through files under BLOCKLIST_DIR (shared_sets.ts); the server does.
   */
  shareSets?: boolean;
  /** Where lines for people go (admin entries restored or lost); console.error by default. */
  print?: (line: string) => void;
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
  const customFile = config.dir && `${config.dir}/custom.json`;
  const writeCopy = customFile ? customCopyWriter(customFile) : undefined;
  if (redis) {
    // Only with Redis: a fresh memory-only process does not load it (tests/startup_graph_test.ts).
    const { RedisBlocklist } = await import("./redis_blocklist.ts");
    const print = options.print ?? console.error;
    const holder: { sync?: LazyListSync; restoring?: Promise<void> } = {};
    const blocklist: InstanceType<typeof RedisBlocklist> = new RedisBlocklist(redis.store, {
      prefix: redis.config.prefix,
      decisionLifetimeMs: config.decisionCacheMs,
      pollMs: options.poll ? VERSION_POLL_MS : 0,
      onError: options.onError,
      onCustomChange: writeCopy,
      // Redis came back empty: the admin entries back from their copy, then the lists again
      // (from the disk copies where there are).
      onLost: (before) => {
        const restoring = restoreCustomCopy(blocklist, customFile, before)
          .then((line) => void (line && print(line)), options.onError);
        holder.restoring = restoring;
        void restoring.then(() => holder.sync?.run()).then(
          (report) => report && options.onResync?.(report),
          options.onError,
        );
      },
    });
    await blocklist.refresh().catch(options.onError);
    // Found empty at startup: the first queries see the admin entries the copy kept.
    await holder.restoring;
    holder.sync = new LazyListSync(blocklist, config.sources, { ...fetchOptions, lock: blocklist });
    return { blocklist, sync: holder.sync };
  }
  const blocklist = new MemoryBlocklist({
    custom: customFile ? await readCustomCopy(customFile) : undefined,
    onCustomChange: writeCopy,
  });
  const syncOptions = { ...fetchOptions, shareSets: options.shareSets };
  return { blocklist, sync: new LazyListSync(blocklist, config.sources, syncOptions) };
}
