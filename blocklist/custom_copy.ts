/**
 * The disk copy of the admin's custom entries, `<BLOCKLIST_DIR>/custom.json`, as lists have
 * theirs: the memory store starts from it, and the Redis store keeps it current (its own edits
 * and those another instance made) and puts it back when Redis comes back empty, since Redis
 * may run without persistence. Where there is no copy to put back (BLOCKLIST_DIR off, nowhere
 * to write, as on Deno Deploy), the loss is said in the log, never silent.
 */
import type { EntryKind, ListSummary } from "./blocklist.ts";
import { CUSTOM_LIST } from "./decision.ts";

export type CustomEntries = Record<EntryKind, string[]>;

export async function readCustomCopy(path: string): Promise<CustomEntries | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    const strings = (list: unknown) =>
      Array.isArray(list) ? list.filter((item) => typeof item === "string") : [];
    return { block: strings(value?.block), allow: strings(value?.allow) };
  } catch {
    return undefined;
  }
}

/** Writes the copy; one write at a time, in order, so an older copy never lands last. */
export function customCopyWriter(path: string): (custom: CustomEntries) => Promise<void> {
  let writing = Promise.resolve();
  return (custom) =>
    writing = writing.then(async () => {
      try {
        // Imported on the first edit: a fresh process does not load it.
        const { atomicWrite } = await import("../runtime/atomic_write.ts");
        await atomicWrite(path, JSON.stringify(custom, null, 2));
      } catch {
        // Nowhere to write (Deno Deploy): edits live as long as the process.
      }
    });
}

/** What the Redis store offers for putting entries back. */
export interface CustomRestore {
  restoreCustom(custom: CustomEntries): Promise<void>;
}

/**
 * After Redis lost every list (`before`: what this instance saw there last): puts the admin
 * entries back from the copy at `path`. Resolves to the line to log, if there is one to say.
 */
export async function restoreCustomCopy(
  blocklist: CustomRestore,
  path: string | undefined,
  before: ListSummary[],
): Promise<string | undefined> {
  const held = before.find((list) => list.name === CUSTOM_LIST);
  const known = held ? held.blockEntries + held.allowEntries : 0;
  const copy = path === undefined ? undefined : await readCustomCopy(path);
  if (copy === undefined) {
    if (known === 0) return undefined;
    const why = path === undefined ? "BLOCKLIST_DIR is off" : `none at ${path}`;
    return `blocklist: Redis lost the ${known} admin entries it held, and they cannot be ` +
      `restored: no disk copy (${why}); add them again`;
  }
  const count = copy.block.length + copy.allow.length;
  if (count === 0 && known === 0) return undefined;
  await blocklist.restoreCustom(copy);
  return `blocklist: Redis came back empty: ${copy.block.length} block and ` +
    `${copy.allow.length} allow admin entries restored from ${path}`;
}
