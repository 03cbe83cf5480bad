/**
 * The query log as the dashboard searches it: the filter form (a plain GET, so it works without
 * scripts and a search is a link), one row per stored query with what happened to it, a block
 * and an allow button per row (posting to the dashboard's own form actions), and links to the
 * older and newer pages. Used by the log page and by each client's page.
 */
import { rcodeName, typeName } from "../../dns/mod.ts";
import { type HistoryPage, OUTCOMES } from "../../observe/history.ts";
import type { SearchFields } from "../history_form.ts";
import { milliseconds } from "./counts.tsx";

export interface LogView {
  /** The path the form and the paging links go to ("/log", "/client/laptop"). */
  path: string;
  page: HistoryPage;
  fields: SearchFields;
  /** The cursor this page was asked with ("" for the newest). */
  cursor: string;
  /** The cursors of the pages before it, oldest first. */
  seen: string[];
  /** Fields the path fixes (a client page's client): not in the form. */
  fixed?: (keyof SearchFields)[];
}

/**
 * The paging links' words, written as escapes: a module's source stays Latin-1
 * (tests/latin1_sources_test.ts).
 */
const NEWER_LINK = "\u2190 newer";
const OLDER_LINK = "older \u2192";
const TYPES = ["A", "AAAA", "HTTPS", "CNAME", "MX", "TXT", "PTR", "SRV", "NS", "SOA"];
const RCODES = ["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR"];

export function LogTable(props: { view: LogView }) {
  const { view } = props;
  const { fields } = view;
  const fixed = new Set(view.fixed ?? []);
  const link = (cursor: string | undefined, seen: string[]) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) {
      if (value !== "" && !fixed.has(key as keyof SearchFields)) params.set(key, value);
    }
    if (cursor) params.set("cursor", cursor);
    for (const one of seen) params.append("seen", one);
    const query = params.toString();
    return query === "" ? view.path : `${view.path}?${query}`;
  };
  const back = link(view.cursor, view.seen);
  const newer = view.cursor === "" ? undefined : link(view.seen.at(-1), view.seen.slice(0, -1));
  const older = view.page.next === undefined
    ? undefined
    : link(view.page.next, [...view.seen, view.cursor]);
  const text = (key: keyof SearchFields, placeholder: string, type = "text") =>
    fixed.has(key)
      ? undefined
      : <input name={key} type={type} placeholder={placeholder} value={fields[key]} />;
  const choice = (key: keyof SearchFields, options: readonly string[], none: string) => (
    <select name={key}>
      <option value="">{none}</option>
      {options.map((option) => (
        <option value={option} selected={fields[key] === option}>{option}</option>
      ))}
    </select>
  );
  return (
    <div>
      <form method="get" action={view.path} id="log-search">
        {text("name", "name contains")} {text("client", "client name or address")}{" "}
        {text("profile", "profile")} {choice("type", TYPES, "any type")}{" "}
        {choice("outcome", OUTCOMES, "any outcome")} {choice("rcode", RCODES, "any rcode")}{" "}
        <label>
          from (UTC) {text("from", "2026-01-10T12:30", "datetime-local")}
        </label>{" "}
        <label>
          to (UTC) {text("to", "2026-01-10T13:30", "datetime-local")}
        </label>{" "}
        <button type="submit">Search</button> <a href={view.path}>clear</a>
      </form>
      <table id="log">
        <tr>
          <th>time (UTC)</th>
          <th>client</th>
          <th>profile</th>
          <th>name</th>
          <th>type</th>
          <th>outcome</th>
          <th>rcode</th>
          <th>answer</th>
          <th>rule</th>
          <th>upstream</th>
          <th>ms</th>
          <th></th>
        </tr>
        {view.page.rows.map(({ entry, answer, outcome, instance }) => {
          const rcode = entry.rcode === undefined ? "" : rcodeName(entry.rcode);
          return (
            <tr class={`row ${outcome}`}>
              <td title={instance}>
                {new Date(entry.time).toISOString().slice(0, 19).replace("T", " ")}
              </td>
              <td title={entry.clientName === undefined ? undefined : entry.client}>
                {entry.clientName ?? entry.client}
              </td>
              <td>{entry.profile ?? "default"}</td>
              <td class="qname">{entry.name}</td>
              <td>{typeName(entry.type)}</td>
              <td class="outcome">{outcome}</td>
              <td class={rcode === "NOERROR" || rcode === "" ? undefined : "bad"}>{rcode}</td>
              <td class="answer">{answer}</td>
              <td>{entry.rule}</td>
              <td>{entry.upstream}</td>
              <td class="n">{milliseconds(entry.durationMs)}</td>
              <td>
                <form method="post" action="/ui/block" class="row-action">
                  <input type="hidden" name="name" value={entry.name} />
                  <input type="hidden" name="back" value={back} />
                  <button type="submit" name="kind" value="block">block</button>
                  <button type="submit" name="kind" value="allow">allow</button>
                </form>
              </td>
            </tr>
          );
        })}
      </table>
      {view.page.rows.length === 0 && <p>No query found.</p>}
      <p class="paging">
        {newer && <a href={newer} id="newer">{NEWER_LINK}</a>}{" "}
        {older && <a href={older} id="older">{OLDER_LINK}</a>}
      </p>
    </div>
  );
}
