/**
 * A file whose changes call `onChange`, one call at a time: what the records file and the
 * profiles file share. Changes are noticed with Deno.watchFs on the file's directory (editors
 * and config managers replace files by renaming, which a watch on the file itself would miss),
 * keeping only the events that name the file, or that made a symlinked file resolve elsewhere
 * (Kubernetes swaps a mounted ConfigMap so): other files written there (a log beside it) must
 * neither delay nor trigger a call. Events are debounced; a change that comes while `onChange`
 * runs calls it once more after.
 */
export class WatchedFile {
  readonly path: string;
  readonly #onChange: () => Promise<void>;
  readonly #debounceMs: number;
  #watcher?: Deno.FsWatcher;
  #timer?: ReturnType<typeof setTimeout>;
  /** The call running now, and whether another change came in meanwhile. */
  #running?: Promise<void>;
  #again = false;

  /** `onChange` must not throw: what goes wrong in it is its own to report. */
  constructor(path: string, onChange: () => Promise<void>, debounceMs = 100) {
    this.path = path;
    this.#onChange = onChange;
    this.#debounceMs = debounceMs;
  }

  /** Starts watching; the error when watching is impossible here (Deno Deploy), else undefined. */
  watch(): Error | undefined {
    const directory = this.path.slice(0, this.path.lastIndexOf("/")) || "/";
    try {
      this.#watcher = Deno.watchFs(directory, { recursive: false });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    const watcher = this.#watcher;
    const name = this.path.slice(this.path.lastIndexOf("/") + 1);
    let target = linkTarget(this.path);
    (async () => {
      for await (const event of watcher) {
        if (concerns(event, name)) {
          this.#changed();
        } else if (target !== undefined) {
          const now = linkTarget(this.path);
          if (now !== target) this.#changed();
          target = now;
        }
      }
    })().catch(() => {/* closed */});
    return undefined;
  }

  /** Calls `onChange` now, or once more after the call running now. */
  changed(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#onChange().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        void this.changed();
      }
    });
    return this.#running;
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #changed(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.changed(), this.#debounceMs);
  }
}

/**
 * Whether a directory event may have changed the file called `name`: it names the file (a
 * write, or a rename onto it), or the watcher lost track of events (a rescan).
 */
function concerns(event: Deno.FsEvent, name: string): boolean {
  if (event.flag === "rescan") return true;
  return event.paths.some((path) => path.slice(path.lastIndexOf("/") + 1) === name);
}

/** Where a symlink at `path` leads in the end ("" when nowhere), or undefined for no symlink. */
function linkTarget(path: string): string | undefined {
  try {
    if (!Deno.lstatSync(path).isSymlink) return undefined;
    return Deno.realPathSync(path);
  } catch {
    return "";
  }
}
