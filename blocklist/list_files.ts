/**
 * Local list files (a path or file:// in BLOCKLIST_URLS and ALLOWLIST_URLS) are watched as the
 * records file is (runtime/watched_file.ts): an edit reads that list again at once, without a
 * restart or an admin call. A file that cannot be read then keeps the list last loaded from it
 * (the sync says why); a file whose text did not change is not loaded again.
 */
import { WatchedFile } from "../runtime/watched_file.ts";
import type { ListSource } from "./source.ts";

/** How long the file stays quiet before it is read: editors write in steps. */
const DEBOUNCE_MS = 200;

export interface ListFilesWatch {
  close(): void;
}

/**
 * Watches every local list file among `sources`; `reload` is called with the list's name on a
 * change, one call at a time per file. One line says so where watching is impossible.
 */
export function watchListFiles(
  sources: readonly ListSource[],
  reload: (name: string) => Promise<void>,
  report: (line: string) => void,
): ListFilesWatch {
  const watched: WatchedFile[] = [];
  for (const source of sources) {
    if (/^https?:/i.test(source.location)) continue;
    const file = new WatchedFile(source.location, () => reload(source.name), DEBOUNCE_MS);
    const error = file.watch();
    if (error !== undefined) {
      report(
        `blocklist ${source.name}: not watching ${source.location} (${
          error.message.split("\n", 1)[0]
        }); it is read again at each sync`,
      );
      continue;
    }
    watched.push(file);
  }
  return { close: () => watched.forEach((file) => file.close()) };
}
