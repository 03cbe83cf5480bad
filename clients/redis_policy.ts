/**
 * Profiles kept in Redis, so every instance (VMs, Deno Deploy isolates) answers under the same
 * ones. Keys, under the configured prefix:
 * - `policy:doc`: the document as JSON (the profiles file's shape);
 * - `policy:version`: a counter moved by every change; each instance polls it (`pollMs`) and
 *   reads the document again when it moved, so an edit shows everywhere within a second or so;
 * - `policy:seeded`: what the profiles file last said of each profile and client it names;
 * - `policy:lock`: held for the few calls of one change, so two instances' edits never cross.
 *
 * The profiles file, when there is one, seeds Redis: at startup and when it changes, each
 * profile or client whose text in the file differs from what the file last said of it is
 * written, and those the file no longer names are removed. So the last edit wins, whether made
 * in the file or through the admin API, and an instance starting with an unchanged file
 * changes nothing. A file change that does not fit what Redis holds (it drops a profile an
 * admin's client uses) is not written, and a line says why. A document in Redis that does not
 * check (written by hand, or by an instance with other lists) is not loaded: the last good one
 * stays, and a line says why. Redis found without a document (restarted empty) gets back the
 * one an instance has in force, and an edit starts from it: an edit never wipes the others.
 */
import { StoreError } from "../store/errors.ts";
import type { RedisStore } from "../store/redis.ts";
import { describePolicy } from "./live_directory.ts";
import { applyEdit, type PolicyEdit, type PolicyStore } from "./policy_edit.ts";
import { checkPolicy, type PolicyDoc, PolicyError, policyValue, type SpecContext } from "./spec.ts";

export interface RedisPolicyOptions {
  prefix: string;
  context: SpecContext;
  /** How often the version is polled while there are profiles, ms; 0: never (tests). */
  pollMs: number;
  /**
   * How often it is polled while Redis holds none (most deployments, which never make one):
   * each poll is a call, and Upstash bills calls. An instance learns of the first profile made
   * elsewhere within this; of every later edit within `pollMs`.
   */
  idlePollMs?: number;
  /** Told about every document loaded from Redis. */
  onLoad: (doc: PolicyDoc) => void;
  report: (line: string) => void;
}

/**
 * How long one change may hold the lock before it lapses (an instance that died holding it):
 * longer than a change can take (a few calls, each up to REDIS_TIMEOUT_MS, and checking a
 * document of up to 16 MiB), so that a slow change never loses its lock to another's.
 */
const LOCK_SECONDS = 60;
/** How long an edit waits for another instance's change to finish. */
const LOCK_WAIT_MS = 2000;
/** The largest document kept: as large as a profiles file may be (clients/profiles_file.ts). */
const MAX_DOC_BYTES = 16 * 1024 * 1024;

type Section = Record<string, Record<string, unknown>>;
type Seeded = Record<string, string>;

export class RedisPolicy implements PolicyStore {
  readonly description = "Redis";
  readonly #store: RedisStore;
  readonly #options: RedisPolicyOptions;
  readonly #key: (name: string) => string;
  #seen: string | null | undefined;
  #doc: PolicyDoc = { profiles: [], clients: [] };
  /** What this instance's last seeding recorded, written back with the document it restores. */
  #seeded: Seeded | undefined;
  /** A file's document not yet written to Redis (it was down): tried again at each poll. */
  #seedPending: PolicyDoc | undefined;
  #timer?: ReturnType<typeof setTimeout>;
  /** Whether the timer set is the idle one (no profiles when it was set). */
  #idle = false;
  #closed = false;
  #failing = false;

  constructor(store: RedisStore, options: RedisPolicyOptions) {
    this.#store = store;
    this.#options = options;
    this.#key = (name) => `${options.prefix}policy:${name}`;
    if (options.pollMs > 0) this.#schedule();
  }

  /** The document as last read from Redis. */
  get doc(): PolicyDoc {
    return this.#doc;
  }

  /** Reads the version and, when it moved, the document. */
  async refresh(): Promise<void> {
    const version = await this.#store.getString(this.#key("version"));
    if (version === this.#seen) return;
    const text = await this.#store.getString(this.#key("doc"));
    this.#seen = version;
    if (text === null) {
      // Tried again at the next poll until it is written back (or another instance's is).
      await this.#restore().catch((error) => {
        this.#seen = undefined;
        throw error;
      });
      return;
    }
    let doc: PolicyDoc;
    try {
      if (text.length > MAX_DOC_BYTES) throw new Error(`larger than ${MAX_DOC_BYTES} bytes`);
      doc = checkPolicy(JSON.parse(text), this.#options.context);
    } catch (error) {
      this.#options.report(
        `profiles: the document in Redis is not usable (${
          oneLine(error)
        }); keeping the last good profiles`,
      );
      return;
    }
    this.#doc = doc;
    this.#options.onLoad(doc);
    // Profiles now: the idle poll gives way to the frequent one.
    this.#pollSoon();
  }

  /** When the idle poll is set, the frequent one instead (there are profiles, or a seed to try). */
  #pollSoon(): void {
    if (this.#idle && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#schedule();
    }
  }

  /**
   * Writes what the profiles file says and the last seeding did not (see the top of this
   * file); when Redis cannot be reached, tries again at each poll.
   */
  async seed(file: PolicyDoc): Promise<void> {
    this.#seedPending = file;
    try {
      await this.#seedLocked(file);
    } catch (error) {
      if (error instanceof StoreError) {
        this.#pollSoon();
        throw error;
      }
      // Not Redis failing but the change itself: tried again it would fail again, and keep
      // this instance from following Redis meanwhile.
      this.#options.report(
        `profiles: the profiles file's change was not written to Redis (${
          oneLine(error)
        }); Redis keeps its profiles`,
      );
    }
    this.#seedPending = undefined;
    await this.refresh();
  }

  #seedLocked(file: PolicyDoc): Promise<void> {
    return this.#locked(async () => {
      const [text, seededText] = await Promise.all([
        this.#store.getString(this.#key("doc")),
        this.#store.getString(this.#key("seeded")),
      ]);
      const held = text === null ? { profiles: {}, clients: {} } : JSON.parse(text);
      const seeded: Seeded = seededText === null ? {} : JSON.parse(seededText);
      const wanted = policyValue(file);
      let changed = false;
      for (const section of ["profiles", "clients"] as const) {
        const into: Section = held[section] ?? (held[section] = {});
        for (const [name, value] of Object.entries(wanted[section] as Section)) {
          const said = JSON.stringify(value);
          if (seeded[`${section}/${name}`] === said) continue;
          into[name] = value;
          seeded[`${section}/${name}`] = said;
          changed = true;
        }
        for (const key of Object.keys(seeded)) {
          const [kind, name] = splitKey(key);
          if (kind !== section || Object.hasOwn(wanted[section], name)) continue;
          delete into[name];
          delete seeded[key];
          changed = true;
        }
      }
      if (changed) {
        const doc = checkPolicy(held, this.#options.context);
        await this.#write(doc, seeded);
        this.#options.report(`profiles: the profiles file seeded Redis: ${describePolicy(doc)}`);
      }
      this.#seeded = seeded;
    });
  }

  async edit(edit: PolicyEdit): Promise<PolicyDoc> {
    let result: PolicyDoc | undefined;
    await this.#locked(async () => {
      const text = await this.#store.getString(this.#key("doc"));
      result = applyEdit(this.#held(text), edit, this.#options.context);
      await this.#write(result);
    });
    await this.refresh();
    return result!;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /**
   * The document an edit starts from: none in Redis (it lost it) is the one in force here; one
   * not usable here (another version's, or not JSON) is refused, left for a person to see.
   */
  #held(text: string | null): PolicyDoc {
    if (text === null) return this.#doc;
    try {
      return checkPolicy(JSON.parse(text), this.#options.context);
    } catch (error) {
      throw new StoreError(
        `the profiles in Redis (${this.#key("doc")}) are not usable here (${oneLine(error)})`,
      );
    }
  }

  /** Redis without a document: the one in force here goes back, unless another's did first. */
  async #restore(): Promise<void> {
    const doc = this.#doc;
    if (doc.profiles.length === 0 && doc.clients.length === 0) return;
    await this.#locked(async () => {
      if (await this.#store.getString(this.#key("doc")) !== null) return;
      await this.#write(doc, this.#seeded);
      this.#options.report(`profiles: Redis had none: wrote back ${describePolicy(doc)}`);
    });
  }

  async #write(doc: PolicyDoc, seeded?: Seeded): Promise<void> {
    const text = JSON.stringify(policyValue(doc));
    if (text.length > MAX_DOC_BYTES) {
      throw new PolicyError(
        [],
        `the profiles would take more than ${MAX_DOC_BYTES} bytes in Redis`,
      );
    }
    await this.#store.setString(this.#key("doc"), text);
    if (seeded !== undefined) {
      await this.#store.setString(this.#key("seeded"), JSON.stringify(seeded));
    }
    await this.#store.incr(this.#key("version"));
  }

  /** Runs `change` holding the lock; throws when another instance holds it too long. */
  async #locked(change: () => Promise<void>): Promise<void> {
    const lock = this.#key("lock");
    const token = crypto.randomUUID();
    const until = Date.now() + LOCK_WAIT_MS;
    while (!(await this.#store.setIfAbsent(lock, token, LOCK_SECONDS))) {
      if (Date.now() >= until) {
        throw new StoreError("the profiles are being changed by another instance; try again");
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      await change();
    } finally {
      if (await this.#store.getString(lock).catch(() => null) === token) {
        await this.#store.del([lock]).catch(() => {});
      }
    }
  }

  /** The next poll: soon while there are profiles, seldom while there are none. */
  #schedule(): void {
    if (this.#closed || this.#options.pollMs <= 0) return;
    const { pollMs, idlePollMs = pollMs } = this.#options;
    this.#idle = this.#doc.profiles.length === 0 && this.#doc.clients.length === 0 &&
      this.#seedPending === undefined;
    this.#timer = setTimeout(
      () => void this.#poll().finally(() => this.#schedule()),
      this.#idle ? idlePollMs : pollMs,
    );
    Deno.unrefTimer(this.#timer);
  }

  async #poll(): Promise<void> {
    try {
      if (this.#seedPending !== undefined) await this.seed(this.#seedPending);
      else await this.refresh();
      if (this.#failing) this.#options.report("profiles: Redis answers again");
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        this.#options.report(
          `profiles: cannot read them from Redis (${
            oneLine(error)
          }); keeping the last good profiles`,
        );
      }
      this.#failing = true;
    }
  }
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n", 1)[0];
}
