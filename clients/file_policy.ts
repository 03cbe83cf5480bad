/**
 * Profiles kept in the profiles file (PROFILES_FILE) alone, the store without Redis. The file
 * is reloaded when it changes (runtime/watched_file.ts); a file with a mistake is not loaded:
 * the last good profiles keep answering, and one line names the file, line and column. Admin
 * edits are written into the file itself (comments kept: clients/profiles_file.ts), through a
 * temporary file and a rename, so the file stays the one place the profiles are.
 */
import { atomicWrite } from "../runtime/atomic_write.ts";
import { WatchedFile } from "../runtime/watched_file.ts";
import { describePolicy } from "./live_directory.ts";
import { applyEdit, type PolicyEdit, type PolicyStore } from "./policy_edit.ts";
import {
  editProfilesFile,
  MAX_FILE_BYTES,
  parseProfilesFile,
  ProfilesFileError,
} from "./profiles_file.ts";
import { type PolicyDoc, PolicyError, type SpecContext } from "./spec.ts";

export interface FilePolicyOptions {
  context: SpecContext;
  /** Told about every document loaded after the first (reloads, edits). */
  onLoad: (doc: PolicyDoc) => void;
  /** Where reload lines go (stderr). */
  report: (line: string) => void;
  debounceMs?: number;
}

const KEEPING = "; keeping the last good profiles";

export class FilePolicy implements PolicyStore {
  readonly path: string;
  readonly description: string;
  /** The document in force (the file's last good text). */
  doc: PolicyDoc;
  #text: string;
  readonly #options: FilePolicyOptions;
  readonly #file: WatchedFile;
  /** Reloads and edits, one at a time, each after the one before it. */
  #turns: Promise<unknown> = Promise.resolve();

  private constructor(path: string, text: string, doc: PolicyDoc, options: FilePolicyOptions) {
    this.path = path;
    this.description = `the profiles file ${path}`;
    this.#text = text;
    this.doc = doc;
    this.#options = options;
    this.#file = new WatchedFile(
      path,
      () =>
        this.#inTurn(() => this.#reload()).catch((error) =>
          options.report(`profiles: ${path}: ${oneLine(error)}${KEEPING}`)
        ),
      options.debounceMs,
    );
  }

  /**
   * Reads the file; a file that does not exist yet is an empty document (the first admin edit
   * makes it). Throws `ProfilesFileError` at a mistake, `ProfilesFileUnreadable` when it cannot
   * be read.
   */
  static async open(path: string, options: FilePolicyOptions): Promise<FilePolicy> {
    const text = await readIfThere(path);
    const doc = parseProfilesFile(text ?? "", path, options.context);
    return new FilePolicy(path, text ?? "", doc, options);
  }

  /** Starts reloading on changes; a line saying so where watching is impossible. */
  watch(): void {
    const error = this.#file.watch();
    if (error !== undefined) {
      this.#options.report(
        `profiles: not watching ${this.path} (${oneLine(error)}); restart to load changes`,
      );
    }
  }

  /** Reads the file again now (the watch calls it too). */
  reload(): Promise<void> {
    return this.#file.changed();
  }

  /** Edits one at a time: each starts from the file the one before it wrote. */
  edit(edit: PolicyEdit): Promise<PolicyDoc> {
    return this.#inTurn(() => this.#edit(edit));
  }

  #inTurn<T>(turn: () => Promise<T>): Promise<T> {
    const done = this.#turns.then(turn);
    this.#turns = done.catch(() => {});
    return done;
  }

  async #edit(edit: PolicyEdit): Promise<PolicyDoc> {
    // From the file as it is now: a hand edit the watch has not reloaded yet is the base, never
    // overwritten; one with a mistake refuses the edit rather than be lost.
    await this.#reload(true);
    // Checked before writing: a wrong edit leaves the file as it was.
    const doc = applyEdit(this.doc, edit, this.#options.context);
    const text = editProfilesFile(this.#text, edit.section, edit.name, edit.value);
    // A file too large to read back would stop the next start (exit 2): refused, kept as it is.
    if (text.length > MAX_FILE_BYTES) {
      throw new PolicyError(
        [edit.section, edit.name],
        `the profiles file would be larger than ${MAX_FILE_BYTES} bytes`,
      );
    }
    await atomicWrite(this.path, text);
    this.#text = text;
    this.#loaded(doc, `profiles: ${edit.value === undefined ? "removed" : "set"} ${edit.name}`);
    return doc;
  }

  close(): void {
    this.#file.close();
  }

  /** Loads the file when it changed; `forEdit`: a mistake in it throws a `PolicyError`. */
  async #reload(forEdit = false): Promise<void> {
    const text = (await readIfThere(this.path)) ?? "";
    if (text === this.#text) return;
    let doc: PolicyDoc;
    try {
      doc = parseProfilesFile(text, this.path, this.#options.context);
    } catch (error) {
      if (!(error instanceof ProfilesFileError)) throw error;
      if (forEdit) throw new PolicyError([], `${error.message}; fix the file first`);
      this.#options.report(`profiles: ${error.message}${KEEPING}`);
      return;
    }
    this.#text = text;
    this.#loaded(doc, `profiles: reloaded ${this.path}`);
  }

  #loaded(doc: PolicyDoc, line: string): void {
    this.doc = doc;
    this.#options.onLoad(doc);
    this.#options.report(`${line}: ${describePolicy(doc)}`);
  }
}

/** The profiles file is there but cannot be read (a directory, no permission). */
export class ProfilesFileUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfilesFileUnreadable";
  }
}

/**
 * The file's text, read to at most MAX_FILE_BYTES: a larger file, or a path to something
 * endless (a device, a pipe), is refused rather than read for ever.
 */
async function readIfThere(path: string): Promise<string | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ProfilesFileUnreadable(`cannot read the file (${oneLine(error)})`);
  }
  try {
    const bytes = new Uint8Array(MAX_FILE_BYTES + 1);
    let length = 0;
    while (length < bytes.length) {
      const read = await file.read(bytes.subarray(length));
      if (read === null) break;
      length += read;
    }
    if (length > MAX_FILE_BYTES) {
      throw new ProfilesFileUnreadable(`it is larger than ${MAX_FILE_BYTES} bytes`);
    }
    return new TextDecoder().decode(bytes.subarray(0, length));
  } catch (error) {
    if (error instanceof ProfilesFileUnreadable) throw error;
    throw new ProfilesFileUnreadable(`cannot read the file (${oneLine(error)})`);
  } finally {
    file.close();
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n", 1)[0];
}
