/**
 * `GET /admin/log?limit=N&client=…&profile=…`: the newest query-log entries, newest first. With
 * Redis this is the shared stream, so it shows every instance's queries (each entry names its
 * instance); without, this instance's in-memory ring. `client` (a display name or a logged
 * client) and `profile` keep the entries they name, looked for among the newest `MAX_LIMIT`.
 */
import { Hono } from "hono";
import type { QueryLogStream } from "../observe/log_stream.ts";
import { filters, logFilter, shows } from "../observe/log_filter.ts";
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
    const filter = logFilter({ client: c.req.query("client"), profile: c.req.query("profile") });
    if ("error" in filter) return reason(400, filter.error);
    const scan = filters(filter) ? MAX_LIMIT : limit;
    if (deps.stream) {
      const streamed = await deps.stream.recent(scan);
      const entries = streamed.filter(({ entry }) => shows(filter, entry)).slice(0, limit);
      return c.json({ source: "redis", entries });
    }
    const entries = deps.log.recent().slice(-scan).reverse()
      .filter((entry) => shows(filter, entry)).slice(0, limit)
      .map((entry) => ({ instance: deps.instance, entry: JSON.parse(formatEntry(entry)) }));
    return c.json({ source: "memory", entries });
  });
  return routes;
}
