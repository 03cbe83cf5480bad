/**
 * The dashboard's lists page (`/lists`) and its form actions, mounted on the dashboard's routes
 * behind its session and same-origin gate: add a list, enable, disable or remove one, sync now.
 * Each change is kept by the catalog (blocklist/list_catalog.ts) and followed by a sync, which
 * loads an added or enabled list and drops a disabled one; the page then shows what came of it.
 */
import type { Context, Hono } from "hono";
import type { Blocklist } from "../blocklist/blocklist.ts";
import type { ListCatalog } from "../blocklist/list_catalog.ts";
import type { ListSyncer } from "../blocklist/lazy_sync.ts";
import type { AppEnv } from "./client_address.ts";
import { formFields } from "./form_fields.ts";
import { ListsPage } from "./ui/lists_page.tsx";

export interface ListsPageDeps {
  instance: string;
  catalog: Pick<
    ListCatalog,
    "entries" | "sources" | "refresh" | "add" | "setEnabled" | "remove" | "storedIn"
  >;
  sync: ListSyncer;
  blocklist: Pick<Blocklist, "summary">;
  loggedIn: (c: Context<AppEnv>) => Promise<boolean>;
}

export function mountListsPage(routes: Hono<AppEnv>, deps: ListsPageDeps): void {
  const { catalog, sync } = deps;
  routes.get("/lists", async (c) => {
    if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
    const unread = await catalog.refresh().then(() => undefined, (error: Error) => error.message);
    const error = c.req.query("error") ?? unread;
    const done = c.req.query("done");
    return c.html(
      <ListsPage
        data={{
          instance: deps.instance,
          entries: catalog.entries(),
          held: await deps.blocklist.summary(),
          lastSync: sync.lastReport,
          storedIn: catalog.storedIn,
          notice: error !== undefined
            ? { text: error, error: true }
            : done !== undefined
            ? { text: done }
            : undefined,
        }}
      />,
    );
  });

  /** Runs `change`, then a sync; back to the page saying what happened or what went wrong. */
  const action = (
    path: string,
    change: (form: Record<string, string>) => Promise<string>,
  ) =>
    routes.post(path, async (c) => {
      if (!(await deps.loggedIn(c))) return c.redirect("/", 303);
      const form = await formFields(c);
      if (form instanceof Response) return form;
      const fields: Record<string, string> = {};
      for (const [key, value] of Object.entries(form)) {
        if (typeof value === "string") fields[key] = value;
      }
      let done: string;
      try {
        done = await change(fields);
      } catch (error) {
        return c.redirect(`/lists?error=${encodeURIComponent((error as Error).message)}`, 303);
      }
      const report = await sync.run(path === "/ui/lists/sync");
      const failed = report.lists.filter((list) => list.outcome === "failed").map((l) => l.name);
      const after = failed.length > 0 ? ` The sync failed for ${failed.join(", ")}.` : "";
      return c.redirect(`/lists?done=${encodeURIComponent(done + after)}`, 303);
    });

  action("/ui/lists/add", async (form) => {
    const kind = form.kind === "allow" ? "allow" : "block";
    const source = await catalog.add(form.name ?? "", form.location ?? "", kind);
    return `${source.kind}list ${source.name} added.`;
  });
  action("/ui/lists/state", async (form) => {
    const name = form.name ?? "";
    const changed = form.enabled === "remove"
      ? await catalog.remove(name)
      : await catalog.setEnabled(name, form.enabled === "yes");
    if (!changed) throw new Error(`no list named ${JSON.stringify(name.slice(0, 80))}`);
    const what = form.enabled === "remove"
      ? "removed"
      : form.enabled === "yes"
      ? "enabled"
      : "disabled";
    return `${name} ${what}.`;
  });
  action("/ui/lists/sync", () => Promise.resolve("Synced."));
}
