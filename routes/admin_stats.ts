/**
 * `GET /admin/stats?range=1h|24h|7d|30d|90d[&client=...]`: counts per bucket by outcome, top
 * names, top blocked names, top clients, profiles and upstream answer times over the range
 * (observe/history.ts `HistoryStats`), from whichever store keeps them: Redis where there is
 * Redis (every instance's), SQLite on a VM, memory otherwise; `source` says which.
 */
import { Hono } from "hono";
import { type History, STATS_RANGES, type StatsRange } from "../observe/history.ts";
import { MAX_FILTER_CLIENT } from "../observe/log_filter.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export interface AdminStatsDeps {
  history: History;
}

export function adminStatsRoutes(deps: AdminStatsDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/", async (c) => {
    const range = c.req.query("range") ?? "24h";
    if (!Object.hasOwn(STATS_RANGES, range)) {
      return reason(
        400,
        `range=${JSON.stringify(range.slice(0, 80))}: expected one of ${
          Object.keys(STATS_RANGES).join(", ")
        }`,
      );
    }
    const client = c.req.query("client") || undefined;
    if (client !== undefined && client.length > MAX_FILTER_CLIENT) {
      return reason(
        400,
        `client: expected a client's name or address of at most ${MAX_FILTER_CLIENT} characters`,
      );
    }
    try {
      return c.json(await deps.history.stats(range as StatsRange, client));
    } catch (error) {
      return reason(503, error instanceof Error ? error.message : String(error));
    }
  });
  return routes;
}
