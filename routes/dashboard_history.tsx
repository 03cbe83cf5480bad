/**
 * The dashboard's views of the query history (observe/history.ts), mounted on its routes
 * behind its session and same-origin gate: the log searched and paged (`/log`). Whatever store
 * keeps the history answers them; where none does, the query log's ring (recent_history.ts).
 */
import type { Context, Hono } from "hono";
import type { History } from "../observe/history.ts";
import type { AppEnv } from "./client_address.ts";
import { parseSearch } from "./history_form.ts";
import { LogPage } from "./ui/log_page.tsx";

export interface HistoryPagesDeps {
  instance: string;
  history: History;
  loggedIn: (c: Context<AppEnv>) => Promise<boolean>;
  /** The line about the last form action the query string names (`done`, `name`). */
  notice: (c: Context<AppEnv>) => { text: string; error?: boolean } | undefined;
}

export function mountHistoryPages(routes: Hono<AppEnv>, deps: HistoryPagesDeps): void {
  routes.get("/log", async (c) => {
    if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
    const parsed = parseSearch((key) => c.req.query(key), c.req.queries("seen") ?? []);
    if ("error" in parsed) {
      return c.html(
        <LogPage data={{ instance: deps.instance, notice: { text: parsed.error, error: true } }} />,
        400,
      );
    }
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
}
