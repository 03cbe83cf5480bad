/**
 * One copy of a list's store per machine: the process that builds a list's sets first stores
 * them (set_file.ts) under `<BLOCKLIST_DIR>/sets/`, named by the list, its kind and the content
 * id of the text, and every other process that loads the same text (the other WORKERS, or this
 * one after a restart) maps that file read-only and shared (runtime/mapped_file.ts) instead of
 * parsing the list: N workers hold the store's pages once, in the page cache.
 *
 * Rules that keep a mapping safe and the directory bounded:
 * - A file is written once, to a temporary name, then renamed into place; it is never written
 *   again, only replaced by another rename or removed. A mapping keeps the inode it was made
 *   over, so a replaced or removed file leaves every mapping of it intact (truncating one in
 *   place would fault a reader: nothing here does, the files are made read-only, and only a
 *   regular file of this process's user, writable by nobody, is mapped: runtime/mapped_file.ts).
 * - A file that is there but cannot be used (refused by set_file.ts, or not mappable: empty, a
 *   directory, a link, another user's) is built again, said in one line; looking never loops.
 * - One process builds a given list at a time: it holds `<list>+<kind>.lock` (flock(2):
 *   runtime/file_lock.ts, dropped by the kernel when its holder dies, even by SIGKILL); the
 *   others wait for the file (at most `waitMs`, then build their own without storing it) and
 *   map it. Two builders at once (a lock file removed while held) would only write the same
 *   bytes twice: the build of a text is the same wherever it is made.
 * - Only the lock's holder writes a list's temporary files, so it removes those left by a
 *   builder that died: at most one build's worth per list is ever left on disk.
 * - When a list's new build is stored, its other files are removed, and after every sync the
 *   files of lists no longer configured go (`keepOnly`): at rest there is one file and one lock
 *   per configured list. Processes that still map an old one keep it until they switch (within
 *   their sync interval) and their old set is collected; a process that still needs an old text
 *   builds its own.
 *
 * Where files cannot be mapped (no FFI: Deno Deploy, a start without --allow-ffi) nothing is
 * shared or stored, and the first load says why once.
 */
import { atomicWrite } from "../runtime/atomic_write.ts";
import { type FileLock, tryLockFile } from "../runtime/file_lock.ts";
import { freeNow } from "../runtime/free_now.ts";
import { mapFile, mappingUnavailable, NO_SUCH_FILE } from "../runtime/mapped_file.ts";
import type { EntryKind } from "./blocklist.ts";
import { DomainSet } from "./domain_set.ts";
import {
  decodeSetFile,
  encodeSetFile,
  SET_FILE_HEADER_BYTES,
  SET_FILE_VERSION,
  type StoredList,
} from "./set_file.ts";

export interface SharedSetsOptions {
  /** Longest a process waits for another's build before it builds its own, milliseconds. */
  waitMs?: number;
  /** How often a waiting process looks for the file, milliseconds. */
  pollMs?: number;
}

/** What to do for a list's text: use the stored build, or build (and then `store` it). */
export interface SetLookup {
  /** The stored build, mapped. */
  found?: StoredList;
  /** Without `found`: this process builds it and stores it with this claim. */
  claim?: SetClaim;
  /** Why it is not shared this time, when that is worth a word. */
  why?: string;
}

/** A build this process is to store: its lock is held until `store` or `release`. */
export interface SetClaim {
  path: string;
  name: string;
  lock: FileLock;
}

const WAIT_MS = 60_000;
const POLL_MS = 25;
const READ_ONLY = 0o444;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SharedSets {
  readonly dir: string;
  #waitMs: number;
  #pollMs: number;
  #saidWhyNot = false;

  constructor(blocklistDir: string, options: SharedSetsOptions = {}) {
    this.dir = `${blocklistDir}/sets`;
    this.#waitMs = options.waitMs ?? WAIT_MS;
    this.#pollMs = options.pollMs ?? POLL_MS;
  }

  /** The file of list `name`'s build from text `id`. */
  pathOf(name: string, kind: EntryKind, id: string): string {
    // "+" is in no list name, so `${name}+` starts this list's files and no other's.
    return `${this.dir}/${name}+${kind}-${id.replaceAll("+", "-").replaceAll("/", "_")}` +
      `.v${SET_FILE_VERSION}`;
  }

  /** The lock of list `name`'s builds, whatever their text. */
  lockOf(name: string, kind: EntryKind): string {
    return `${this.dir}/${name}+${kind}.lock`;
  }

  /**
   * The stored build of list `name` from text `id`, mapped; else a claim to build it (none when
   * it cannot be stored here, or another's build took too long), with why, when there is one
   * to say: a file refused, or (once) why nothing is shared.
   */
  async lookup(name: string, kind: EntryKind, id: string): Promise<SetLookup> {
    const unavailable = mappingUnavailable();
    if (unavailable !== undefined) {
      return this.#once(`not shared: mapping files ${unavailable}`);
    }
    const path = this.pathOf(name, kind, id);
    const deadline = Date.now() + this.#waitMs;
    // A file refused, and what it was: it is not read again until another takes its place.
    let refused: { why: string; stamp: string } | undefined;
    while (true) {
      // The stamp is taken before the look: a file put in place between them is looked at again.
      const stamp = await stampOf(path);
      const seen = refused?.stamp === stamp ? refused.why : await look(path, kind, id);
      if (typeof seen === "object") return { found: seen };
      refused = seen === undefined ? undefined : { why: seen, stamp };
      const lock = await this.#tryLock(name, kind);
      if (typeof lock === "object") {
        // Stored by another since the look: the look under the lock decides.
        const again = await look(path, kind, id);
        if (typeof again === "object") {
          lock.release();
          return { found: again };
        }
        await this.#removeTemporaries(name);
        return { claim: { path, name, lock }, why: again && `the stored one refused: ${again}` };
      }
      if (lock !== "held") return this.#once(`not stored (${lock})`);
      // Another process builds it (a file refused too: the holder replaces it): its file
      // comes, or its lock goes.
      if (Date.now() > deadline) {
        return {
          why: seen ? `the stored one refused: ${seen}` : "another process's build took too long",
        };
      }
      await sleep(this.#pollMs);
    }
  }

  /** A reason said with the first load it applies to, not with every one. */
  #once(why: string): SetLookup {
    if (this.#saidWhyNot) return {};
    this.#saidWhyNot = true;
    return { why };
  }

  /**
   * Stores the build claimed (read-only, through a rename), then removes the list's other
   * files; the lock goes either way. Resolves to the stored file's mapping, for this process to
   * use in place of its own build (whose arrays are given back), or why it was not stored.
   */
  async store(
    claim: SetClaim,
    kind: EntryKind,
    id: string,
    built: StoredList,
  ): Promise<StoredList | string> {
    try {
      const bytes = await encodeSetFile(kind, id, built);
      // The bytes just written are known right: their body is not hashed again once mapped.
      const header = bytes.slice(0, SET_FILE_HEADER_BYTES);
      try {
        await atomicWrite(claim.path, bytes, { mode: READ_ONLY });
      } finally {
        freeNow(bytes);
      }
      await this.#forget(claim.name, [claim.path, this.lockOf(claim.name, kind)]);
      const mapped = mapFile(claim.path);
      const found = typeof mapped === "string"
        ? mapped
        : await decodeSetFile(mapped, kind, id, header);
      if (typeof found === "string") return `stored, but not mapped: ${found}`;
      for (const set of [built.sets.block, built.sets.allow]) {
        if (set === DomainSet.EMPTY) continue;
        const { directory, lows, tags } = set.parts();
        [directory, lows, tags].forEach(freeNow);
      }
      return found;
    } catch (error) {
      return `not stored: ${error instanceof Error ? error.message.split("\n", 1)[0] : error}`;
    } finally {
      this.release(claim);
    }
  }

  /** Gives up a claim without storing (the build failed); once stored, does nothing. */
  release(claim: SetClaim): void {
    claim.lock.release();
  }

  /**
   * Removes the files of every list but those named in `configured` (lists no longer
   * configured, here or in an earlier run): their builds, locks and temporary files.
   */
  async keepOnly(configured: ReadonlySet<string>): Promise<void> {
    const stale = (await this.#entries()).filter((entry) => {
      const plus = entry.indexOf("+");
      return plus > 0 && !configured.has(entry.slice(0, plus));
    });
    for (const entry of stale) await Deno.remove(`${this.dir}/${entry}`).catch(() => {});
  }

  /** Removes list `name`'s files but `keep`: only the holder of the list's lock calls it. */
  async #forget(name: string, keep: readonly string[]): Promise<void> {
    for (const entry of await this.#entries()) {
      const path = `${this.dir}/${entry}`;
      if (entry.startsWith(`${name}+`) && !keep.includes(path)) {
        await Deno.remove(path).catch(() => {});
      }
    }
  }

  /**
   * Removes list `name`'s temporary files: only the holder of its lock writes them, so those
   * there when it takes the lock were left by a builder that died.
   */
  async #removeTemporaries(name: string): Promise<void> {
    for (const entry of await this.#entries()) {
      if (entry.startsWith(`${name}+`) && entry.endsWith(".tmp")) {
        await Deno.remove(`${this.dir}/${entry}`).catch(() => {});
      }
    }
  }

  /** The names in the directory; none when there is none. */
  async #entries(): Promise<string[]> {
    const entries: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.dir)) entries.push(entry.name);
    } catch {
      // no directory: nothing stored
    }
    return entries;
  }

  /**
   * Takes the lock on list `name`'s builds: the lock, "held" while another holds it, or why it
   * cannot be had (a read-only or full file system).
   */
  async #tryLock(name: string, kind: EntryKind): Promise<FileLock | "held" | string> {
    try {
      await Deno.mkdir(this.dir, { recursive: true });
    } catch (error) {
      return error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    }
    return await tryLockFile(this.lockOf(name, kind));
  }
}

/** What tells one file at `path` from another put in its place: inode, size, time. */
async function stampOf(path: string): Promise<string> {
  return await Deno.lstat(path).then(
    (info) => `${info.ino}:${info.size}:${info.mtime?.getTime()}`,
    () => "none",
  );
}

/**
 * The stored build at `path`, mapped; why it cannot be used (a file there that is refused or
 * cannot be mapped); or undefined when there is no file.
 */
async function look(
  path: string,
  kind: EntryKind,
  id: string,
): Promise<StoredList | string | undefined> {
  const mapped = mapFile(path);
  if (mapped === NO_SUCH_FILE) return undefined;
  if (typeof mapped === "string") return mapped;
  try {
    return await decodeSetFile(mapped, kind, id);
  } catch (error) {
    return `unreadable: ${error instanceof Error ? error.message.split("\n", 1)[0] : error}`;
  }
}
