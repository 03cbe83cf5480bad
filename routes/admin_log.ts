/**
 * `GET /admin/log?limit=N`: the newest query-log entries, newest first. With Redis this is
 * the shared stream, so it shows every instance's queries (each entry names its instance);
 * without, this instance's in-memory ring.
 */
import { Hono } from "hono";
import type { QueryLogStream } from "../observe/log_stream.ts";
import { formatEntry, type QueryLog } from "../observe/query_log.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

export interface AdminLogDeps {
  log: Pick<QueryLog, "recent">;
  stream?: Pick<QueryLogStream, "recent">;
  instance: string;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export function adminLogRoutes(deps: AdminLogDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/", async (c) => {
    const given = c.req.query("limit");
    const limit = given === undefined ? DEFAULT_LIMIT : Number(given);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return reason(400, `limit="${given}": expected a whole number from 1 to ${MAX_LIMIT}`);
    }
    if (deps.stream) {
      return c.json({ source: "redis", entries: await deps.stream.recent(limit) });
    }
    const entries = deps.log.recent().slice(-limit).reverse().map((entry) => ({
      instance: deps.instance,
      entry: JSON.parse(formatEntry(entry)),
    }));
    return c.json({ source: "memory", entries });
  });
  return routes;
}
