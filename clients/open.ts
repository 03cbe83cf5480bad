/**
 * The profiles at startup, from where they are kept:
 * - the profiles file alone (no Redis): it is the one place; admin edits are written into it;
 * - Redis (with or without a file): Redis holds them for every instance; the file, when there
 *   is one, seeds it (clients/redis_policy.ts says which edit wins);
 * - neither: no directory, every client gets one plain profile.
 * Until Redis has answered, the file's profiles (or none) are in force, so a Redis that is down
 * at startup never leaves the gateway without the file's policy.
 */
import type { RedisStore } from "../store/redis.ts";
import { FilePolicy } from "./file_policy.ts";
import { describePolicy, LiveDirectory } from "./live_directory.ts";
import type { PolicyStore } from "./policy_edit.ts";
import { RedisPolicy } from "./redis_policy.ts";
import type { SpecContext } from "./spec.ts";

export { ProfilesFileError } from "./profiles_file.ts";
export { ProfilesFileUnreadable } from "./file_policy.ts";

export interface OpenPolicyOptions {
  file?: string;
  redis?: { store: RedisStore; prefix: string };
  restricted: boolean;
  context: SpecContext;
  report: (line: string) => void;
  /** How often Redis is polled for changes, ms, with profiles and without. */
  pollMs?: number;
  idlePollMs?: number;
}

export interface OpenPolicy {
  directory: LiveDirectory;
  /** Where edits go. */
  store: PolicyStore;
  /** The line for the startup lines. */
  line: string;
  /** Starts watching the file (after startup, as the records file). */
  watch(): void;
  close(): void;
}

/** How often an instance looks for another's edits in Redis (one GET each time). */
const POLL_MS = 1000;
/** How often while no profile exists anywhere (the common case: no call more than needed). */
const IDLE_POLL_MS = 15_000;

/**
 * Throws `ProfilesFileError` for a mistake in the file, `ProfilesFileUnreadable` when it cannot
 * be read (the caller makes either a config error).
 */
export async function openPolicy(options: OpenPolicyOptions): Promise<OpenPolicy> {
  const { report, context } = options;
  let redis: RedisPolicy | undefined;
  const file = options.file === undefined ? undefined : await FilePolicy.open(options.file, {
    context,
    report,
    onLoad: (doc) => redis ? void seed(doc) : directory.replace(doc),
  });
  const start = file?.doc ?? { profiles: [], clients: [] };
  const directory = new LiveDirectory(start, options.restricted);
  const seed = (doc: typeof start) =>
    redis!.seed(doc).catch((error) =>
      report(`profiles: cannot write the profiles file's profiles to Redis yet (${error.message})`)
    );
  if (options.redis !== undefined) {
    redis = new RedisPolicy(options.redis.store, {
      prefix: options.redis.prefix,
      context,
      pollMs: options.pollMs ?? POLL_MS,
      idlePollMs: options.idlePollMs ?? IDLE_POLL_MS,
      onLoad: (doc) => directory.replace(doc),
      report,
    });
    if (file) await seed(file.doc);
    else {
      await redis.refresh().catch((error) =>
        report(`profiles: cannot read them from Redis yet (${error.message})`)
      );
    }
  }
  const store = (redis ?? file)!;
  const where = file && redis ? `${file.path}, kept in Redis` : file ? file.path : "kept in Redis";
  return {
    directory,
    store,
    line: `profiles: ${where}: ${describePolicy(directory.current.doc)}${
      options.restricted ? ", only known clients answered" : ""
    }`,
    watch: () => file?.watch(),
    close: () => {
      file?.close();
      redis?.close();
    },
  };
}
