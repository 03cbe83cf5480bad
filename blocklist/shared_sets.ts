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
 *   place would fault a reader: nothing here does, and the files are made read-only).
 * - One process builds a given text at a time: it holds `<file>.lock` (created exclusively);
 *   the others wait for the file (at most `waitMs`) and map it; a lock older than `staleMs` is
 *   a builder that died, taken over.
 * - When a list's new build is stored, its other files are removed: at rest there is one file
 *   per list, plus the locks and temporary files of builds under way. Processes that still map
 *   an old one keep it until they switch (within their sync interval) and their old set is
 *   collected; a process that still needs an old text builds its own.
 *
 * Where files cannot be mapped (no FFI: Deno Deploy, a start without --allow-ffi) nothing is
 * shared or stored, and the first load says why once.
 */
import { atomicWrite } from "../runtime/atomic_write.ts";
import { freeNow } from "../runtime/free_now.ts";
import { mapFile, mappingUnavailable } from "../runtime/mapped_file.ts";
import type { EntryKind } from "./blocklist.ts";
import { DomainSet } from "./domain_set.ts";
import { decodeSetFile, encodeSetFile, SET_FILE_VERSION, type StoredList } from "./set_file.ts";

export interface SharedSetsOptions {
  /** Longest a process waits for another's build before it builds its own, milliseconds. */
  waitMs?: number;
  /** A lock this old is a builder that died, milliseconds. */
  staleMs?: number;
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
}

const WAIT_MS = 60_000;
const STALE_MS = 120_000;
const POLL_MS = 25;
const READ_ONLY = 0o444;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SharedSets {
  readonly dir: string;
  #waitMs: number;
  #staleMs: number;
  #pollMs: number;
  #saidWhyNot = false;

  constructor(blocklistDir: string, options: SharedSetsOptions = {}) {
    this.dir = `${blocklistDir}/sets`;
    this.#waitMs = options.waitMs ?? WAIT_MS;
    this.#staleMs = options.staleMs ?? STALE_MS;
    this.#pollMs = options.pollMs ?? POLL_MS;
  }

  /** The file of list `name`'s build from text `id`. */
  pathOf(name: string, kind: EntryKind, id: string): string {
    // "+" is in no list name, so `${name}+` starts this list's files and no other's.
    return `${this.dir}/${name}+${kind}-${id.replaceAll("+", "-").replaceAll("/", "_")}` +
      `.v${SET_FILE_VERSION}`;
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
    let why: string | undefined;
    while (true) {
      const mapped = mapFile(path);
      if (typeof mapped !== "string") {
        const found = await decodeSetFile(mapped, kind, id);
        if (typeof found !== "string") return { found };
        why = `the stored one refused: ${found}`;
      }
      const lock = await this.#tryLock(path);
      if (lock === true) {
        // Stored by another between the look and the lock: mapped on the next turn.
        if (why === undefined && await exists(path)) {
          await this.release({ path, name });
          continue;
        }
        return { claim: { path, name }, why };
      }
      if (typeof lock === "string") return this.#once(`not stored (${lock})`);
      // Another process builds it: its file comes, or its lock goes.
      if (why !== undefined || Date.now() > deadline) {
        return { why: why ?? "another process's build took too long" };
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
      try {
        await atomicWrite(claim.path, bytes, { mode: READ_ONLY });
      } finally {
        freeNow(bytes);
      }
      await this.forget(claim.name, claim.path);
      const mapped = mapFile(claim.path);
      const found = typeof mapped === "string" ? mapped : await decodeSetFile(mapped, kind, id);
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
      await this.release(claim);
    }
  }

  /** Gives up a claim without storing (the build failed). */
  async release(claim: SetClaim): Promise<void> {
    await Deno.remove(`${claim.path}.lock`).catch(() => {});
  }

  /**
   * Removes list `name`'s files but `keep` (every one without it: a list no longer configured),
   * and temporary files and locks left for longer than a build may take.
   */
  async forget(name: string, keep?: string): Promise<void> {
    const entries: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.dir)) {
        if (entry.name.startsWith(`${name}+`)) entries.push(`${this.dir}/${entry.name}`);
      }
    } catch {
      return; // no directory: nothing stored
    }
    for (const path of entries) {
      if (path === keep) continue;
      if (path.endsWith(".lock") || path.endsWith(".tmp")) {
        const age = await Deno.stat(path).then((info) => Date.now() - (info.mtime?.getTime() ?? 0))
          .catch(() => 0);
        if (age < this.#staleMs) continue;
      }
      await Deno.remove(path).catch(() => {});
    }
  }

  /**
   * Takes the lock on `path`'s build (created exclusively, or taken over from a dead builder):
   * true, false while another holds it, or why it cannot be made (the directory is read-only).
   */
  async #tryLock(path: string): Promise<boolean | string> {
    const lock = `${path}.lock`;
    try {
      await Deno.mkdir(this.dir, { recursive: true });
      const info = await Deno.stat(lock).catch(() => undefined);
      if (info !== undefined) {
        if (Date.now() - (info.mtime?.getTime() ?? 0) < this.#staleMs) return false;
        await Deno.remove(lock).catch(() => {});
      }
      (await Deno.open(lock, { createNew: true, write: true })).close();
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return false;
      return error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
