/**
 * An in-memory stand-in for the Redis calls the shared cache tier makes, with expiry on an
 * injectable clock and switches for slow and broken, for unit tests. Real Redis is used in
 * the store and e2e tests.
 */
import type { SharedStore } from "../../cache/shared_tier.ts";

export function memoryStore(now: () => number) {
  const data = new Map<string, { value: Uint8Array; expires: number }>();
  const store = {
    gets: 0,
    batches: 0,
    mode: "ok" as "ok" | "slow" | "broken",
    data,
    get(key: string): Promise<Uint8Array | null> {
      store.gets++;
      if (store.mode === "broken") return Promise.reject(new Error("redis down"));
      const entry = data.get(key);
      const value = entry && entry.expires > now() ? entry.value : null;
      if (store.mode === "slow") {
        return new Promise((resolve) => setTimeout(() => resolve(value), 200));
      }
      return Promise.resolve(value);
    },
    setMany(entries: { key: string; value: Uint8Array; ttlSeconds: number }[]): Promise<void> {
      store.batches++;
      if (store.mode === "broken") return Promise.reject(new Error("redis down"));
      for (const e of entries) {
        data.set(e.key, { value: e.value, expires: now() + e.ttlSeconds * 1000 });
      }
      return Promise.resolve();
    },
    deleteMatching(pattern: string): Promise<number> {
      if (store.mode === "broken") return Promise.reject(new Error("redis down"));
      const matches = globRegExp(pattern);
      let deleted = 0;
      for (const key of [...data.keys()]) {
        if (matches.test(key) && data.delete(key)) deleted++;
      }
      return Promise.resolve(deleted);
    },
  } satisfies SharedStore & Record<string, unknown>;
  return store;
}

/** Redis glob (`*`, `?`, `\\x` for a literal x) as a RegExp. */
function globRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "\\" && i + 1 < pattern.length) source += RegExp.escape(pattern[++i]);
    else if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += RegExp.escape(char);
  }
  return new RegExp(`^${source}$`);
}
