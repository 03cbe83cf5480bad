/**
 * Dashboard sessions: logging in with the admin token gives the browser a random session id,
 * never the token itself, so a captured cookie stops working when its session ends (log out,
 * or its lifetime is over) and the token stays where it was. Sessions live in Redis when it is
 * configured, so every instance sharing it knows them (and a log out anywhere ends them
 * everywhere), and in memory otherwise. Redis keeps only a hash of each id.
 */
import type { RedisStore } from "../store/redis.ts";

export interface SessionStore {
  /** Starts a session; resolves to its id. */
  start(): Promise<string>;
  /** Whether `id` is a session that has not ended. */
  isLive(id: string): Promise<boolean>;
  /** Ends the session `id` (nothing when there is none). */
  end(id: string): Promise<void>;
}

/** How long a session lasts from log in. */
export const SESSION_SECONDS = 12 * 3600;
/** Most sessions memory holds; the oldest one ends for a new one past it. */
const MAX_MEMORY_SESSIONS = 1000;
/** 32 random bytes in base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function newSessionId(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

export class MemorySessions implements SessionStore {
  /** Id -> when it ends, oldest first. */
  #sessions = new Map<string, number>();
  #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  start(): Promise<string> {
    const now = this.#now();
    for (const [id, endsAt] of this.#sessions) {
      if (endsAt > now && this.#sessions.size < MAX_MEMORY_SESSIONS) break;
      this.#sessions.delete(id);
    }
    const id = newSessionId();
    this.#sessions.set(id, now + SESSION_SECONDS * 1000);
    return Promise.resolve(id);
  }

  isLive(id: string): Promise<boolean> {
    const endsAt = this.#sessions.get(id);
    return Promise.resolve(endsAt !== undefined && endsAt > this.#now());
  }

  end(id: string): Promise<void> {
    this.#sessions.delete(id);
    return Promise.resolve();
  }
}

export class RedisSessions implements SessionStore {
  #store: RedisStore;
  #prefix: string;

  /** `prefix`: of every key (REDIS_PREFIX). */
  constructor(store: RedisStore, options: { prefix: string }) {
    this.#store = store;
    this.#prefix = `${options.prefix}session:`;
  }

  async start(): Promise<string> {
    const id = newSessionId();
    await this.#store.setString(await this.#key(id), "1", SESSION_SECONDS);
    return id;
  }

  async isLive(id: string): Promise<boolean> {
    return SESSION_ID.test(id) && await this.#store.exists(await this.#key(id));
  }

  async end(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.#store.del([await this.#key(id)]);
  }

  async #key(id: string): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id));
    return this.#prefix + new Uint8Array(digest).toBase64({ alphabet: "base64url" });
  }
}
