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
 * changes nothing. A document in Redis that does not check (written by hand, or by an
 * instance with other lists) is not loaded: the last good one stays, and a line says why.
 */
import { StoreError } from "../store/errors.ts";
import type { RedisStore } from "../store/redis.ts";
import { describePolicy } from "./live_directory.ts";
import { applyEdit, type PolicyEdit, type PolicyStore } from "./policy_edit.ts";
import { checkPolicy, type PolicyDoc, policyValue, type SpecContext } from "./spec.ts";

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

/** How long one change may hold the lock before it lapses (an instance that died holding it). */
const LOCK_SECONDS = 5;
/** How long an edit waits for another instance's change to finish. */
const LOCK_WAIT_MS = 2000;

type Section = Record<string, Record<string, unknown>>;
type Seeded = Record<string, string>;

export class RedisPolicy implements PolicyStore {
  readonly description = "Redis";
  readonly #store: RedisStore;
  readonly #options: RedisPolicyOptions;
  readonly #key: (name: string) => string;
  #seen: string | null | undefined;
  #doc: PolicyDoc = { profiles: [], clients: [] };
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
    if (text === null) return;
    let doc: PolicyDoc;
    try {
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
    await this.#locked(async () => {
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
          if (kind !== section || name in (wanted[section] as Section)) continue;
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
    });
    this.#seedPending = undefined;
    await this.refresh();
  }

  async edit(edit: PolicyEdit): Promise<PolicyDoc> {
    let result: PolicyDoc | undefined;
    await this.#locked(async () => {
      const text = await this.#store.getString(this.#key("doc"));
      const held = text === null
        ? { profiles: [], clients: [] }
        : checkPolicy(JSON.parse(text), this.#options.context);
      result = applyEdit(held, edit, this.#options.context);
      await this.#write(result);
    });
    await this.refresh();
    return result!;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #write(doc: PolicyDoc, seeded?: Seeded): Promise<void> {
    await this.#store.setString(this.#key("doc"), JSON.stringify(policyValue(doc)));
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
