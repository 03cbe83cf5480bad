/**
 * Blocking paused for a while (5 minutes, an hour) or until resumed, from the dashboard or the
 * admin API. While paused the blocklist stage makes no list decision (stage.ts asks `paused()`
 * once per query: a field read); names are answered as if no list held them, and rebinding
 * protection still holds, being no list. `version` moves at every change, so answers remembered
 * under the other state are not reused (answer_memo.ts).
 *
 * With Redis the pause is one key every instance reads once a second, so each stops (and
 * starts again) blocking within about a second of another's change; a timed pause is a key
 * that expires, and each instance also ends it on its own clock. Without Redis it is this
 * instance's alone. Every change an instance takes on is said in one log line.
 */
import type { RedisStore } from "../store/redis.ts";

/** Longest pause that ends by itself, minutes (a week); longer is "until resumed". */
export const MAX_PAUSE_MINUTES = 7 * 24 * 60;
/** How often instances look at the shared pause, milliseconds. */
const POLL_MS = 1000;
/** What the shared key holds for a pause without end. */
const FOREVER = "resumed";

export interface PauseState {
  paused: boolean;
  /** When it ends by itself, ms since the epoch; absent: until resumed (or not paused). */
  until?: number;
}

export interface BlockingPauseOptions {
  /** The shared pause (Redis) and its key prefix (REDIS_PREFIX); absent: this instance's. */
  redis?: { store: RedisStore; prefix: string };
  /** Where the lines saying blocking is paused or resumed go; console.error by default. */
  print?: (line: string) => void;
  /** Told about Redis failures while polling (the caller rate-limits its lines). */
  onError?: (error: unknown) => void;
  now?: () => number;
  /** How often the shared pause is read, ms; 0: never (tests read it with `refresh`). */
  pollMs?: number;
}

export class BlockingPause {
  #paused = false;
  /** Infinity: until resumed. */
  #until = 0;
  #version = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #poll?: ReturnType<typeof setInterval>;
  #options: BlockingPauseOptions;
  #now: () => number;
  #key?: string;

  constructor(options: BlockingPauseOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const redis = options.redis;
    if (redis) {
      this.#key = `${redis.prefix}pause`;
      const pollMs = options.pollMs ?? POLL_MS;
      if (pollMs > 0) {
        this.#poll = setInterval(() => void this.refresh().catch(options.onError), pollMs);
        Deno.unrefTimer(this.#poll);
      }
    }
  }

  /** Whether list decisions are off now; read once per query by the blocklist stage. */
  paused(): boolean {
    return this.#paused;
  }

  /** Moves at every pause and resume (answer_memo.ts `VersionSource`). */
  get version(): number {
    return this.#version;
  }

  /** The pause now (one past its end is over, whether or not its timer has fired). */
  state(): PauseState {
    if (this.#paused && this.#until <= this.#now()) this.#apply(0);
    if (!this.#paused) return { paused: false };
    return this.#until === Infinity ? { paused: true } : { paused: true, until: this.#until };
  }

  /**
   * Pauses blocking for `minutes` (1 to MAX_PAUSE_MINUTES), or until resumed when absent; on
   * every instance sharing Redis. Rejects with a StoreError when Redis cannot be written.
   */
  async pause(minutes?: number): Promise<PauseState> {
    const until = minutes === undefined ? Infinity : this.#now() + minutes * 60_000;
    const store = this.#options.redis?.store;
    if (store) {
      await store.setString(
        this.#key!,
        until === Infinity ? FOREVER : String(until),
        minutes === undefined ? undefined : minutes * 60,
      );
    }
    this.#apply(until);
    return this.state();
  }

  /** Blocks again, everywhere the pause was shared. */
  async resume(): Promise<PauseState> {
    await this.#options.redis?.store.del([this.#key!]);
    this.#apply(0);
    return this.state();
  }

  /** Reads the shared pause (the poll does, each second). */
  async refresh(): Promise<void> {
    const store = this.#options.redis?.store;
    if (!store) return;
    const held = await store.getString(this.#key!);
    this.#apply(held === null ? 0 : held === FOREVER ? Infinity : Number(held) || 0);
  }

  close(): void {
    clearInterval(this.#poll);
    clearTimeout(this.#timer);
  }

  /** Takes on the pause ending at `until` (0: none), saying so when it changes anything. */
  #apply(until: number): void {
    const paused = until > this.#now();
    if (paused === this.#paused && (!paused || until === this.#until)) return;
    this.#paused = paused;
    this.#until = paused ? until : 0;
    this.#version++;
    clearTimeout(this.#timer);
    const print = this.#options.print ?? console.error;
    if (!paused) {
      print("blocking resumed: lists decide again");
      return;
    }
    print(
      until === Infinity
        ? "blocking paused until resumed: no list decides"
        : `blocking paused until ${new Date(until).toISOString()}: no list decides`,
    );
    if (until !== Infinity) {
      this.#timer = setTimeout(() => this.#apply(0), until - this.#now());
      Deno.unrefTimer(this.#timer);
    }
  }
}
