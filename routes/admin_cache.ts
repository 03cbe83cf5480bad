/**
 * `POST /admin/cache/flush` with `{"name": "example.com"}` drops that name's answers (every
 * type) from the memory cache and the shared Redis tier; with no name (or no body) it drops
 * every answer. Answers how many went from each.
 */
import { Hono } from "hono";
import type { AnswerCache } from "../cache/answer_cache.ts";
import type { SharedTier } from "../cache/shared_tier.ts";
import { normalizeDomain } from "../dns/domain_entry.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export interface AdminCacheDeps {
  cache?: Pick<AnswerCache, "clear" | "deleteName" | "stats">;
  shared?: Pick<SharedTier, "purge">;
}

export function adminCacheRoutes(deps: AdminCacheDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.post("/flush", async (c) => {
    const text = await c.req.text();
    let name: string | undefined;
    if (text.trim() !== "") {
      let given: unknown;
      try {
        given = JSON.parse(text)?.name;
      } catch {
        return reason(400, 'expected no body, or a JSON body: {"name": "example.com"}');
      }
      if (given !== undefined) {
        const normal = typeof given === "string"
          ? normalizeDomain(given)
          : { reason: "not a string" };
        if ("reason" in normal) {
          return reason(400, `name ${JSON.stringify(given)}: ${normal.reason}`);
        }
        name = normal.name;
      }
    }
    let memory = 0;
    if (deps.cache && name === undefined) {
      memory = deps.cache.stats().entries;
      deps.cache.clear();
    } else if (deps.cache && name !== undefined) {
      memory = deps.cache.deleteName(name);
    }
    const shared = deps.shared ? await deps.shared.purge(name) : 0;
    return c.json({ name: name ?? null, memory, shared });
  });
  return routes;
}
