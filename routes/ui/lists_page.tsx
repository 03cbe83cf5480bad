/**
 * The lists page (`/lists`): every list the gateway syncs or could, from the settings or added
 * here, with its kind, location, whether it is enabled, what it holds, when it was loaded and
 * what the last sync said of it; buttons to enable, disable, remove (an added list) and sync
 * now, and a form to add a list by name and URL or file path.
 */
import type { ListSummary } from "../../blocklist/blocklist.ts";
import type { CatalogEntry } from "../../blocklist/list_catalog.ts";
import type { SyncReport } from "../../blocklist/sync.ts";
import { Layout } from "./layout.tsx";
import { Notice, PanelHeader } from "./panel_header.tsx";

export interface ListsPageData {
  instance: string;
  entries: CatalogEntry[];
  held: ListSummary[];
  lastSync?: SyncReport;
  /** Where added lists and enabled states are kept. */
  storedIn: string;
  notice?: { text: string; error?: boolean };
}

/**
 * The location field's hint, written as an escape: a module's source stays Latin-1
 * (tests/latin1_sources_test.ts).
 */
const LOCATION_HINT = "https://\u2026 or /path/to/list.txt";

const when = (ms: number | undefined) =>
  ms === undefined ? "" : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

export function ListsPage(props: { data: ListsPageData }) {
  const { data } = props;
  const held = new Map(data.held.map((list) => [list.name, list]));
  const reported = new Map((data.lastSync?.lists ?? []).map((list) => [list.name, list]));
  const custom = held.get("custom");
  return (
    <Layout title="Lists · DoH gateway">
      <PanelHeader instance={data.instance} />
      <main>
        <Notice notice={data.notice} />
        <section class="wide">
          <h2>Lists</h2>
          <table id="lists">
            <tr>
              <th>list</th>
              <th>kind</th>
              <th>from</th>
              <th>location</th>
              <th>state</th>
              <th>block</th>
              <th>allow</th>
              <th>loaded</th>
              <th>last sync</th>
              <th></th>
            </tr>
            {data.entries.map(({ source, origin, enabled, shadowed }) => {
              const list = held.get(source.name);
              const report = reported.get(source.name);
              return (
                <tr id={`list-${source.name}`}>
                  <td>{source.name}</td>
                  <td>{source.kind}</td>
                  <td>{origin}</td>
                  <td class="answer">{source.location}</td>
                  <td class="state">
                    {shadowed ? "shadowed by a setting" : enabled ? "enabled" : "disabled"}
                  </td>
                  <td class="n">{list?.blockEntries ?? ""}</td>
                  <td class="n">{list?.allowEntries ?? ""}</td>
                  <td>{when(list?.loadedAt)}</td>
                  <td class={report?.outcome === "failed" ? "bad" : undefined}>
                    {report && `${report.outcome}${report.error ? `: ${report.error}` : ""}`}
                  </td>
                  <td>
                    <form method="post" action="/ui/lists/state" class="row-action">
                      <input type="hidden" name="name" value={source.name} />
                      {enabled
                        ? <button type="submit" name="enabled" value="no">disable</button>
                        : <button type="submit" name="enabled" value="yes">enable</button>}
                      {origin === "dashboard" && (
                        <button type="submit" name="enabled" value="remove">remove</button>
                      )}
                    </form>
                  </td>
                </tr>
              );
            })}
            {custom && (
              <tr id="list-custom">
                <td>custom</td>
                <td>block and allow</td>
                <td>dashboard</td>
                <td>names added on the overview and the log</td>
                <td class="state">enabled</td>
                <td class="n">{custom.blockEntries}</td>
                <td class="n">{custom.allowEntries}</td>
                <td></td>
                <td></td>
                <td></td>
              </tr>
            )}
          </table>
          <form method="post" action="/ui/lists/sync" id="sync">
            <button type="submit">Sync now</button> {data.lastSync
              ? (
                <span id="last-sync">
                  Last sync: {when(data.lastSync.finishedAt)}
                  {data.lastSync.skipped && ` (skipped: ${data.lastSync.skipped})`}
                </span>
              )
              : <span id="last-sync">No sync finished yet.</span>}
          </form>
        </section>
        <section class="wide">
          <h2>Add a list</h2>
          <form method="post" action="/ui/lists/add" id="add-list">
            <input name="name" placeholder="name (e.g. my-ads)" required />{" "}
            <input
              name="location"
              placeholder={LOCATION_HINT}
              required
              size={48}
            />{" "}
            <select name="kind">
              <option value="block">block</option>
              <option value="allow">allow</option>
            </select>{" "}
            <button type="submit">Add</button>
          </form>
          <p>
            Lists added here and lists disabled are kept in {data.storedIn === "none"
              ? "memory only (set BLOCKLIST_DIR or Redis to keep them)"
              : data.storedIn}; a list of the settings with the same name wins over one added here.
          </p>
        </section>
      </main>
    </Layout>
  );
}
