/**
 * The records file in force, reloaded when it changes. Queries read `current`, which a reload
 * replaces whole, so none is dropped or sees half a file. A file with a mistake is not loaded:
 * the last good records keep answering, and one line on stderr names the file, line and column.
 *
 * Changes are noticed as runtime/watched_file.ts says; a file whose text did not change is not
 * loaded again. Where watching is impossible (Deno Deploy) the file is read once.
 */
import { parseRecords, type RecordsFile } from "./parse.ts";
import { RecordStore } from "./store.ts";
import { RecordsSyntaxError } from "./tokens.ts";
import { WatchedFile } from "../runtime/watched_file.ts";

/** The records file cannot be read, or has a mistake; `message` is one line. */
export class RecordsFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RecordsFileError";
  }
}

export interface LiveRecordsOptions {
  /** False where UDP is unavailable: udp:// forward zones are mistakes there. */
  udpAvailable: boolean;
  /** Told about every records file loaded, the first one included (forward zones). */
  onLoad: (file: RecordsFile) => void;
  /** Where reload lines go (stderr). */
  report: (line: string) => void;
  /** Quiet time after the last change before reading the file, ms. */
  debounceMs?: number;
  /** Clock for the SOA serial, injectable for tests. */
  now?: () => number;
}

const DEFAULT_DEBOUNCE_MS = 100;
const KEEPING = "; keeping the last good records";

export class LiveRecords {
  readonly path: string;
  #current: RecordStore;
  #text: string;
  /** What the records in force hold, for the startup line. */
  #description: string;
  #options: LiveRecordsOptions;
  readonly #file: WatchedFile;
  #version = 0;

  private constructor(path: string, text: string, file: RecordsFile, options: LiveRecordsOptions) {
    this.path = path;
    this.#options = options;
    this.#text = text;
    this.#current = new RecordStore(file, serial(0, options.now));
    this.#description = describeRecords(file);
    // Whatever goes wrong in a reload, the last good records stay and the process goes on.
    this.#file = new WatchedFile(
      path,
      () =>
        this.#load().catch((error) =>
          options.report(`records: ${this.path}: ${oneLine(error)}${KEEPING}`)
        ),
      options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    );
    options.onLoad(file);
  }

  /** Loads the file; throws `RecordsFileError` when it cannot be read or has a mistake. */
  static async open(path: string, options: LiveRecordsOptions): Promise<LiveRecords> {
    const text = await readText(path);
    return new LiveRecords(path, text, parse(text, options), options);
  }

  /** The records answering now. */
  get current(): RecordStore {
    return this.#current;
  }

  /** A count of reloads: answers remembered before it moved are not reused. */
  get version(): number {
    return this.#version;
  }

  /** "3 records, 1 pattern, 1 local zone, 0 forward zones": what `current` holds. */
  get description(): string {
    return this.#description;
  }

  /** Starts reloading on changes; false (and a line saying so) where watching is impossible. */
  watch(): boolean {
    const error = this.#file.watch();
    if (error === undefined) return true;
    this.#options.report(
      `records: not watching ${this.path} (${oneLine(error)}); restart to load changes`,
    );
    return false;
  }

  /** Reads the file again now; keeps the current records when it cannot be used. */
  reload(): Promise<void> {
    return this.#file.changed();
  }

  close(): void {
    this.#file.close();
  }

  async #load(): Promise<void> {
    let text: string;
    let file: RecordsFile;
    try {
      text = await readText(this.path);
      if (text === this.#text) return;
      file = parse(text, this.#options);
    } catch (error) {
      if (!(error instanceof RecordsFileError)) throw error;
      const where = error.cause instanceof RecordsSyntaxError
        ? `${this.path}:${error.cause.line}:${error.cause.column}: ${error.cause.reason}`
        : `${this.path}: ${error.message}`;
      this.#options.report(`records: ${where}${KEEPING}`);
      return;
    }
    this.#text = text;
    this.#current = new RecordStore(file, serial(this.#current.serial, this.#options.now));
    this.#version++;
    this.#description = describeRecords(file);
    this.#options.onLoad(file);
    this.#options.report(`records: reloaded ${this.path}: ${this.#description}`);
  }
}

/** "3 records, 1 pattern, 1 local zone, 0 forward zones", for the startup and reload lines. */
function describeRecords(file: RecordsFile): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  return [
    count(file.records.length, "record"),
    count(file.patterns.length, "pattern"),
    count(file.zones.length, "local zone"),
    count(file.forwards.length, "forward zone"),
  ].join(", ");
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new RecordsFileError(`cannot read the file (${oneLine(error)})`, { cause: error });
  }
}

function parse(text: string, options: LiveRecordsOptions): RecordsFile {
  try {
    return parseRecords(text, options);
  } catch (error) {
    if (!(error instanceof RecordsSyntaxError)) throw error;
    throw new RecordsFileError(error.message, { cause: error });
  }
}

/** Seconds since the epoch, always above the previous serial (two loads in one second). */
function serial(previous: number, now: () => number = Date.now): number {
  return Math.max(previous + 1, Math.floor(now() / 1000)) >>> 0;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n", 1)[0];
}
