/** The log page (`/log`): the stored queries searched, a page at a time (log_table.tsx). */
import { Layout } from "./layout.tsx";
import { LogTable, type LogView } from "./log_table.tsx";
import { Notice, PanelHeader } from "./panel_header.tsx";

export interface LogPageData {
  instance: string;
  /** Undefined when the search asked could not be read (the notice says why). */
  view?: LogView;
  notice?: { text: string; error?: boolean };
}

export function LogPage(props: { data: LogPageData }) {
  const { data } = props;
  return (
    <Layout title="Query log · DoH gateway">
      <PanelHeader instance={data.instance} />
      <main>
        <Notice notice={data.notice} />
        <section class="wide">
          <h2>Query log</h2>
          {data.view ? <LogTable view={data.view} /> : (
            <p>
              <a href="/log">Start again</a>
            </p>
          )}
        </section>
      </main>
    </Layout>
  );
}
