/**
 * Admin API for the blocklist, under /admin/blocklist (behind the admin token):
 * - `GET  /admin/blocklist`: the lists held with their sizes, the configured sources, the
 *   last sync's report, and counts of decisions since start (blocked, allowed, store errors);
 * - `POST /admin/blocklist/sync`: downloads and loads every list now; answers the report;
 * - `GET  /admin/blocklist/check?name=`: the decision for a name and the rule behind it;
 * - `GET  /admin/blocklist/custom`: the entries added here;
 * - `POST /admin/blocklist/custom/{block|allow}` and `DELETE ...` with `{"names": [...]}`: add
 *   or remove entries (they take effect at once here, and within about a second on every
 *   instance sharing Redis).
 */
import { Hono } from "hono";
import type { Blocklist, EntryKind } from "../blocklist/blocklist.ts";
import { normalizeDomain } from "../dns/domain_entry.ts";
import type { BlocklistStats } from "../blocklist/stage.ts";
import type { ListSyncer } from "../blocklist/lazy_sync.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export interface AdminBlocklistDeps {
  blocklist: Blocklist;
  sync: ListSyncer;
  stats?: BlocklistStats;
}

/** Most names one edit may carry. */
export const MAX_EDIT_NAMES = 10_000;

export function adminBlocklistRoutes(deps: AdminBlocklistDeps): Hono<AppEnv> {
  const { blocklist, sync } = deps;
  const routes = new Hono<AppEnv>();

  routes.get("/", async (c) =>
    c.json({
      lists: await blocklist.summary(),
      sources: sync.sources,
      lastSync: sync.lastReport ?? null,
      ...(deps.stats ? { stats: deps.stats } : {}),
    }));

  routes.post("/sync", async (c) => c.json(await sync.run(true)));

  routes.get("/check", async (c) => {
    const given = c.req.query("name");
    if (given === undefined) return reason(400, "missing name parameter");
    const normal = normalizeDomain(given);
    if ("reason" in normal) return reason(400, `name "${given}": ${normal.reason}`);
    return c.json({ name: normal.name, ...(await blocklist.decide(normal.name)) });
  });

  routes.get("/custom", async (c) => c.json(await blocklist.customEntries()));

  for (const method of ["post", "delete"] as const) {
    routes[method]("/custom/:kind", async (c) => {
      const kind = c.req.param("kind");
      if (kind !== "block" && kind !== "allow") {
        return reason(404, "not found: use /admin/blocklist/custom/block or \u2026/allow");
      }
      const names = await namesFrom(c.req.raw);
      if (typeof names === "string") return reason(400, names);
      const action = method === "post" ? "add" : "remove";
      const changed = await blocklist.edit(action, kind as EntryKind, names);
      return c.json({ [action === "add" ? "added" : "removed"]: changed, names });
    });
  }
  return routes;
}

/** `{"names": [...]}` as canonical entries, or a one-line reason why not. */
async function namesFrom(request: Request): Promise<string[] | string> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return 'expected a JSON body: {"names": ["ads.example.com", \u2026]}';
  }
  const given = (body as { names?: unknown })?.names;
  if (!Array.isArray(given) || given.length === 0) {
    return 'expected a JSON body: {"names": ["ads.example.com", \u2026]}';
  }
  if (given.length > MAX_EDIT_NAMES) return `at most ${MAX_EDIT_NAMES} names per call`;
  const names: string[] = [];
  for (const item of given) {
    if (typeof item !== "string") return `names must be strings, got ${JSON.stringify(item)}`;
    const normal = normalizeDomain(item);
    if ("reason" in normal) return `name "${item}": ${normal.reason}`;
    names.push(normal.name);
  }
  return names;
}
