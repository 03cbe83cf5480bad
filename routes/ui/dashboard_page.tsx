/**
 * The dashboard: queries per minute over the last hour, blocked share and cache hit ratio,
 * top names, top blocked names and top clients, upstream latency, the lists, recent queries
 * (of one client, when asked), a "why" box to test a name, and a form to block (or unblock) a
 * name. Server-rendered; every action is a plain form or link, so it works without scripts.
 */
import type { EntryKind, ListSummary } from "../../blocklist/blocklist.ts";
import type { PauseState } from "../../blocklist/pause.ts";
import type { CacheStats } from "../../cache/answer_cache.ts";
import { typeName } from "../../dns/mod.ts";
import type { StatsSnapshot } from "../../observe/stats.ts";
import type { RecentQuery } from "../../observe/recent_queries.ts";
import type { Explanation } from "../admin_why.ts";
import { MinuteChart } from "./chart.tsx";
import { milliseconds, NameTable } from "./counts.tsx";
import { Layout } from "./layout.tsx";
import { PanelHeader } from "./panel_header.tsx";

export interface DashboardData {
  instance: string;
  stats: StatsSnapshot;
  cache?: CacheStats;
  lists: ListSummary[];
  custom: Record<EntryKind, string[]>;
  /** Newest first. */
  recent: RecentQuery[];
  /** The client the recent queries are of (as asked: a display name or a logged client). */
  client?: string;
  /** Why the blocklist blocks nothing now (e.g. no list loaded); undefined when it filters. */
  problem?: string;
  why?: Explanation | { error: string };
  /** Whether blocking is paused, when pausing is offered. */
  pause?: PauseState;
  /** One line about the last action (a name blocked, unblocked, or why not). */
  notice?: { text: string; error?: boolean };
}

const percent = (part: number, whole: number) =>
  whole === 0 ? "\u2013" : `${((100 * part) / whole).toFixed(1)} %`;

export function DashboardPage(props: { data: DashboardData }) {
  const { data } = props;
  const { lastHour } = data.stats;
  const cache = data.cache;
  return (
    <Layout title="DoH gateway dashboard">
      <PanelHeader instance={data.instance} />
      <main>
        {data.problem && (
          <p class="note wide error" id="problem" role="alert">
            {data.problem}
          </p>
        )}
        {data.notice && (
          <p class={`note wide${data.notice.error ? " error" : ""}`} role="status">
            {data.notice.text}
          </p>
        )}
        <section class="wide">
          <div class="cards">
            <div class="card" id="queries">
              <b>{lastHour.total}</b>queries, last hour
            </div>
            <div class="card" id="blocked-share">
              <b>{percent(lastHour.blocked, lastHour.total)}</b>blocked
            </div>
            <div class="card" id="cache-ratio">
              <b>{cache ? percent(cache.hits, cache.hits + cache.misses) : "off"}</b>cache hit ratio
            </div>
            <div class="card">
              <b>{cache?.entries ?? 0}</b>cached answers
            </div>
          </div>
        </section>
        <section class="wide">
          <h2>Queries per minute, last hour</h2>
          <MinuteChart minutes={data.stats.perMinute} />
          <p class="legend">
            <span>
              <i style="background:#4c78d0" />upstream and other
            </span>
            <span>
              <i style="background:#3aa56b" />cache
            </span>
            <span>
              <i style="background:#d0463a" />blocked
            </span>
          </p>
        </section>
        {data.pause && <PauseControls state={data.pause} />}
        <section>
          <h2>Why? Test a name</h2>
          <form method="get" action="/">
            <input name="why" placeholder="ads.example.com" required />{" "}
            <select name="type">
              {["A", "AAAA", "HTTPS", "MX", "TXT"].map((type) => <option key={type}>{type}
              </option>)}
            </select>{" "}
            <input name="as" placeholder="as client or profile (optional)" />{" "}
            <button type="submit">Explain</button>
          </form>
          {data.why && "error" in data.why && <p class="note error">{data.why.error}</p>}
          {data.why && "summary" in data.why && (
            <p class="note" id="why-result">
              <b>{data.why.name}</b> {data.why.type}: {data.why.summary}
            </p>
          )}
        </section>
        <section>
          <h2>Block or allow a name</h2>
          <form method="post" action="/ui/block">
            <input name="name" placeholder="tracker.example.com" required />{" "}
            <button type="submit" name="kind" value="block">Block</button>{" "}
            <button type="submit" name="kind" value="allow">Allow</button>
          </form>
          <CustomEntries custom={data.custom} />
        </section>
        <NameTable id="top-names" title="Top names" rows={data.stats.topNames} />
        <NameTable id="top-blocked" title="Top blocked names" rows={data.stats.topBlocked} />
        <ClientTable rows={data.stats.topClients} />
        <section>
          <h2>Upstreams, last hour</h2>
          <table id="upstreams">
            <tr>
              <th>upstream</th>
              <th>answers</th>
              <th>failures</th>
              <th>mean</th>
            </tr>
            {data.stats.upstreams.map((u) => (
              <tr>
                <td>{u.upstream}</td>
                <td class="n">{u.answers}</td>
                <td class="n">{u.failures}</td>
                <td class="n">{u.meanMs.toFixed(1)} ms</td>
              </tr>
            ))}
          </table>
        </section>
        <section>
          <h2>Lists</h2>
          <table id="lists">
            <tr>
              <th>list</th>
              <th>block</th>
              <th>allow</th>
            </tr>
            {data.lists.map((list) => (
              <tr>
                <td>{list.name}</td>
                <td class="n">{list.blockEntries}</td>
                <td class="n">{list.allowEntries}</td>
              </tr>
            ))}
          </table>
        </section>
        <section class="wide">
          <h2>Recent queries{data.client && ` of ${data.client}`}</h2>
          <form method="get" action="/" id="client-filter">
            <input
              name="client"
              placeholder="client name or address"
              value={data.client ?? ""}
              list="known-clients"
            />{" "}
            <datalist id="known-clients">
              {data.stats.topClients.map(([client]) => <option key={client} value={client} />)}
            </datalist>
            <button type="submit">Show</button> {data.client && <a href="/">every client</a>}
          </form>
          <table id="recent">
            <tr>
              <th>time (UTC)</th>
              <th>client</th>
              <th>profile</th>
              <th>name</th>
              <th>type</th>
              <th>from</th>
              <th>rcode</th>
              <th>answer</th>
              <th>ms</th>
            </tr>
            {data.recent.map(({ entry, rcode, answer }) => (
              <tr>
                <td>{new Date(entry.time).toISOString().slice(11, 19)}</td>
                <td title={entry.clientName === undefined ? undefined : entry.client}>
                  {entry.clientName ?? entry.client}
                </td>
                <td>{entry.profile}</td>
                <td>{entry.name}</td>
                <td>{typeName(entry.type)}</td>
                <td>{entry.rule ? `blocked (${entry.rule})` : entry.source}</td>
                <td class={rcode === "NOERROR" ? undefined : "bad"}>{rcode}</td>
                <td class="answer">{answer}</td>
                <td class="n">{milliseconds(entry.durationMs)}</td>
              </tr>
            ))}
          </table>
        </section>
      </main>
    </Layout>
  );
}

/** Each client links to the recent queries of that client alone. */
function ClientTable(props: { rows: [string, number][] }) {
  return (
    <section>
      <h2>Top clients</h2>
      <table id="top-clients">
        {props.rows.map(([client, count]) => (
          <tr>
            <td>
              <a href={`/?client=${encodeURIComponent(client)}`}>{client}</a>
            </td>
            <td class="n">{count}</td>
          </tr>
        ))}
      </table>
    </section>
  );
}

function CustomEntries(props: { custom: Record<EntryKind, string[]> }) {
  const entries = [
    ...props.custom.block.map((name) => ["block", name] as const),
    ...props.custom.allow.map((name) => ["allow", name] as const),
  ];
  if (entries.length === 0) return <p>No entries added here yet.</p>;
  return (
    <table id="custom">
      {entries.map(([kind, name]) => (
        <tr>
          <td>{kind}</td>
          <td>{name}</td>
          <td>
            <form method="post" action="/ui/remove">
              <input type="hidden" name="kind" value={kind} />
              <input type="hidden" name="name" value={name} />
              <button type="submit">remove</button>
            </form>
          </td>
        </tr>
      ))}
    </table>
  );
}

/** Whether blocking is on, and the buttons to pause it (for 5 minutes, an hour, until resumed). */
function PauseControls(props: { state: PauseState }) {
  const { state } = props;
  const until = state.until === undefined
    ? "until resumed"
    : `until ${new Date(state.until).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return (
    <section>
      <h2>Blocking</h2>
      <p id="pause-state" class={state.paused ? "note error" : "note"}>
        {state.paused ? `Paused ${until}: no list blocks anything.` : "On: the lists decide."}
      </p>
      <form method="post" action="/ui/pause" id="pause">
        <button type="submit" name="minutes" value="5">Pause 5 min</button>{" "}
        <button type="submit" name="minutes" value="60">Pause 1 h</button>{" "}
        <button type="submit" name="minutes" value="">Pause until resumed</button>
      </form>
      {state.paused && (
        <form method="post" action="/ui/resume" id="resume">
          <button type="submit">Resume blocking</button>
        </form>
      )}
    </section>
  );
}
