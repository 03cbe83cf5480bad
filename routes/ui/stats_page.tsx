/**
 * The history over a range (`/stats?range=24h`) and one client's page (`/client/<name>`): a
 * range selector (plain links), the chart per outcome with its time axis, totals, top names,
 * top blocked names, top clients (each a link to its page), queries per profile and upstream
 * answer times (median, 95th percentile). A client's page adds its queries (log_table.tsx).
 */
import { type HistoryStats, OUTCOMES, STATS_RANGES } from "../../observe/history.ts";
import { OutcomeChart } from "./chart.tsx";
import { NameTable } from "./counts.tsx";
import { Layout } from "./layout.tsx";
import { LogTable, type LogView } from "./log_table.tsx";
import { Notice, PanelHeader } from "./panel_header.tsx";

export interface StatsPageData {
  instance: string;
  stats: HistoryStats;
  /** One client's page: its queries too. */
  log?: LogView;
  notice?: { text: string; error?: boolean };
}

/** A client's page, at the given range. */
export const clientPath = (client: string) => `/client/${encodeURIComponent(client)}`;

export function StatsPage(props: { data: StatsPageData }) {
  const { stats, log } = props.data;
  const client = stats.client;
  const here = client === undefined ? "/stats" : clientPath(client);
  const sum = OUTCOMES.reduce((all, outcome) => all + stats.totals[outcome], 0);
  return (
    <Layout title={`${client ?? "History"} · DoH gateway`}>
      <PanelHeader instance={props.data.instance} />
      <main>
        <Notice notice={props.data.notice} />
        <section class="wide">
          <h2>
            {client === undefined ? "Queries" : `Queries of ${client}`}, last {stats.range}
          </h2>
          <p class="ranges" id="ranges">
            {Object.keys(STATS_RANGES).map((range) => (
              <a
                href={`${here}?range=${range}`}
                class={range === stats.range ? "current" : undefined}
              >
                {range}
              </a>
            ))}
            <small>from the {stats.source} history</small>
          </p>
          <div class="cards" id="totals">
            <div class="card" id="total-all">
              <b>{sum}</b>queries
            </div>
            {OUTCOMES.map((outcome) => (
              <div class="card" id={`total-${outcome}`}>
                <b>{stats.totals[outcome]}</b>
                {outcome}
              </div>
            ))}
          </div>
          <OutcomeChart stats={stats} />
          <p class="legend">
            {OUTCOMES.map((outcome) => (
              <span>
                <i class={outcome} />
                {outcome}
              </span>
            ))}
          </p>
        </section>
        <NameTable
          id="top-names"
          title="Top names"
          rows={stats.topNames.map((n) => [n.name, n.count])}
        />
        <NameTable
          id="top-blocked"
          title="Top blocked names"
          rows={stats.topBlocked.map((n) => [n.name, n.count])}
        />
        {client === undefined && (
          <section>
            <h2>Top clients</h2>
            <table id="top-clients">
              {stats.topClients.map(({ client, count }) => (
                <tr>
                  <td>
                    <a href={`${clientPath(client)}?range=${stats.range}`}>{client}</a>
                  </td>
                  <td class="n">{count}</td>
                </tr>
              ))}
            </table>
          </section>
        )}
        <NameTable
          id="profiles"
          title="Queries per profile"
          rows={stats.profiles.map((p) => [p.profile, p.count])}
        />
        <section>
          <h2>Upstream answer times</h2>
          <table id="upstream-times">
            <tr>
              <th>upstream</th>
              <th>answers</th>
              <th>p50</th>
              <th>p95</th>
            </tr>
            {stats.upstreams.map((u) => (
              <tr>
                <td>{u.upstream}</td>
                <td class="n">{u.count}</td>
                <td class="n">{u.p50.toFixed(0)} ms</td>
                <td class="n">{u.p95.toFixed(0)} ms</td>
              </tr>
            ))}
          </table>
        </section>
        {log && (
          <section class="wide">
            <h2>Queries of {client}</h2>
            <LogTable view={log} />
          </section>
        )}
      </main>
    </Layout>
  );
}
