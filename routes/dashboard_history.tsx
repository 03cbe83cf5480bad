/**
 * The dashboard's views of the query history (observe/history.ts), mounted on its routes
 * behind its session and same-origin gate: the log searched and paged (`/log`), statistics
 * over a range (`/stats?range=`), and one client's statistics and queries (`/client/<name>`,
 * a name as the history counts clients: display name or logged address). Whatever store
 * keeps the history answers them; where none does, the query log's ring (recent_history.ts).
 */
import type { Context, Hono } from "hono";
import { type History, STATS_RANGES, type StatsRange } from "../observe/history.ts";
import { MAX_FILTER_CLIENT } from "../observe/log_filter.ts";
import type { AppEnv } from "./client_address.ts";
import { parseSearch } from "./history_form.ts";
import { LogPage } from "./ui/log_page.tsx";
import { clientPath, StatsPage } from "./ui/stats_page.tsx";

/** The range a history view shows when none is asked for. */
const DEFAULT_RANGE: StatsRange = "24h";

export interface HistoryPagesDeps {
  instance: string;
  history: History;
  loggedIn: (c: Context<AppEnv>) => Promise<boolean>;
  /** The line about the last form action the query string names (`done`, `name`). */
  notice: (c: Context<AppEnv>) => { text: string; error?: boolean } | undefined;
}

export function mountHistoryPages(routes: Hono<AppEnv>, deps: HistoryPagesDeps): void {
  const refused = (text: string) => (
    <LogPage data={{ instance: deps.instance, notice: { text, error: true } }} />
  );
  routes.get("/log", async (c) => {
    if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
    const parsed = parseSearch((key) => c.req.query(key), c.req.queries("seen") ?? []);
    if ("error" in parsed) return c.html(refused(parsed.error), 400);
    const page = await deps.history.search(parsed.search);
    const view = {
      path: "/log",
      page,
      fields: parsed.fields,
      cursor: parsed.search.cursor ?? "",
      seen: parsed.seen,
    };
    return c.html(<LogPage data={{ instance: deps.instance, view, notice: deps.notice(c) }} />);
  });

  routes.get("/stats", async (c) => {
    if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
    const range = rangeOf(c.req.query("range"));
    if (typeof range !== "string") return c.html(refused(range.error), 400);
    const stats = await deps.history.stats(range);
    return c.html(<StatsPage data={{ instance: deps.instance, stats }} />);
  });

  routes.get("/client/:client", async (c) => {
    if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
    const client = c.req.param("client");
    if (client.length > MAX_FILTER_CLIENT) {
      return c.html(refused(`client: at most ${MAX_FILTER_CLIENT} characters`), 400);
    }
    const range = rangeOf(c.req.query("range"));
    if (typeof range !== "string") return c.html(refused(range.error), 400);
    const parsed = parseSearch(
      (key) => key === "client" ? client : c.req.query(key),
      c.req.queries("seen") ?? [],
    );
    if ("error" in parsed) return c.html(refused(parsed.error), 400);
    const [stats, page] = await Promise.all([
      deps.history.stats(range, client),
      deps.history.search(parsed.search),
    ]);
    const log = {
      path: clientPath(client),
      page,
      fields: parsed.fields,
      cursor: parsed.search.cursor ?? "",
      seen: parsed.seen,
      fixed: ["client" as const],
    };
    return c.html(
      <StatsPage data={{ instance: deps.instance, stats, log, notice: deps.notice(c) }} />,
    );
  });
}

/** The range asked for (the default when none), or why it is not one. */
function rangeOf(given: string | undefined): StatsRange | { error: string } {
  if (given === undefined || given === "") return DEFAULT_RANGE;
  if (Object.hasOwn(STATS_RANGES, given)) return given as StatsRange;
  const ranges = Object.keys(STATS_RANGES).join(", ");
  return { error: `range=${JSON.stringify(given.slice(0, 20))}: expected one of ${ranges}` };
}
