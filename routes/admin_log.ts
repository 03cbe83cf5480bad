/**
 * `GET /admin/log`: stored queries, newest first, a page at a time, filtered by name
 * substring, client, profile, type, outcome, rcode and time (routes/history_params.ts). What
 * answers is the query history (observe/history.ts): SQLite on a VM, the Redis stream where
 * there is Redis and no disk, the in-memory ring otherwise; `source` says which. Each row is
 * also given in the shape this route had before the history (`entries`: the instance and the
 * entry as its JSON log line), for callers written against it.
 */
import { Hono } from "hono";
import type { History } from "../observe/history.ts";
import { formatEntry } from "../observe/query_log.ts";
import { rcodeName, typeName } from "../dns/mod.ts";
import type { AppEnv } from "./client_address.ts";
import { historySearch } from "./history_params.ts";
import { reason } from "./reason.ts";

export interface AdminLogDeps {
  history: History;
  instance: string;
}

export function adminLogRoutes(deps: AdminLogDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/", async (c) => {
    const search = historySearch((name) => c.req.query(name));
    if ("error" in search) return reason(400, search.error);
    let page;
    try {
      page = await deps.history.search(search);
    } catch (error) {
      return reason(503, error instanceof Error ? error.message : String(error));
    }
    return c.json({
      source: page.source,
      rows: page.rows.map((row) => ({
        ...row,
        rcodeName: row.entry.rcode === undefined ? "" : rcodeName(row.entry.rcode),
        typeName: typeName(row.entry.type),
      })),
      next: page.next,
      entries: page.rows.map((row) => ({
        instance: row.instance ?? deps.instance,
        entry: JSON.parse(formatEntry(row.entry)),
      })),
    });
  });
  return routes;
}
