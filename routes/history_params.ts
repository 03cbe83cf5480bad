/**
 * The query-history search a request asks for (`/admin/log`, the dashboard's log search):
 * `name` (a substring), `client`, `profile`, `type` (a name, e.g. AAAA, or a number),
 * `outcome`, `rcode` (a name, e.g. NXDOMAIN, or a number), `from` and `to` (ISO time or ms
 * since the epoch), `cursor` and `limit`. A parameter that makes no sense is an error naming
 * it, never a search for something else.
 */
import { parseTypeName, Rcode } from "../dns/mod.ts";
import { type HistorySearch, type Outcome, OUTCOMES } from "../observe/history.ts";
import { logFilter } from "../observe/log_filter.ts";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Longest name substring searched for (a name is at most 253 characters). */
const MAX_NAME = 253;

/** The search `query` asks for, or the one-line reason it is not one. */
export function historySearch(
  query: (name: string) => string | undefined,
): HistorySearch | { error: string } {
  const given = query("limit");
  const limit = given === undefined ? DEFAULT_LIMIT : Number(given);
  if (!/^\d+$/.test(given ?? "1") || limit < 1 || limit > MAX_LIMIT) {
    return { error: `limit=${shown(given)}: expected a whole number from 1 to ${MAX_LIMIT}` };
  }
  const search: HistorySearch = { limit };
  const filter = logFilter({ client: query("client"), profile: query("profile") });
  if ("error" in filter) return filter;
  if (filter.client !== undefined) search.client = filter.client;
  if (filter.profile !== undefined) search.profile = filter.profile;
  const name = query("name");
  if (name !== undefined && name !== "") {
    if (name.length > MAX_NAME) {
      return { error: `name: expected part of a name, at most ${MAX_NAME} characters` };
    }
    search.name = name.toLowerCase().replace(/\.$/, "");
  }
  const type = query("type");
  if (type !== undefined && type !== "") {
    search.type = parseTypeName(type);
    if (search.type === undefined) {
      return { error: `type=${shown(type)}: expected a record type, e.g. A, AAAA or TYPE65280` };
    }
  }
  const rcode = query("rcode");
  if (rcode !== undefined && rcode !== "") {
    const upper = rcode.toUpperCase();
    const code = /^\d{1,4}$/.test(rcode)
      ? Number(rcode)
      : (Rcode as Record<string, number>)[upper] ?? /^RCODE(\d{1,4})$/.exec(upper)?.[1];
    if (code === undefined || Number(code) > 4095) {
      return { error: `rcode=${shown(rcode)}: expected an rcode, e.g. NOERROR, NXDOMAIN or 2` };
    }
    search.rcode = Number(code);
  }
  const outcome = query("outcome");
  if (outcome !== undefined && outcome !== "") {
    if (!OUTCOMES.includes(outcome as Outcome)) {
      return { error: `outcome=${shown(outcome)}: expected one of ${OUTCOMES.join(", ")}` };
    }
    search.outcome = outcome as Outcome;
  }
  for (const bound of ["from", "to"] as const) {
    const text = query(bound);
    if (text === undefined || text === "") continue;
    const time = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(time) || !/^\d|^\d{4}-/.test(text)) {
      return {
        error: `${bound}=${
          shown(text)
        }: expected a time, ISO (2026-01-31T12:00:00Z) or ms since 1970`,
      };
    }
    search[bound] = time;
  }
  const cursor = query("cursor");
  if (cursor !== undefined && cursor !== "") {
    if (!/^\d{1,20}$/.test(cursor)) {
      return { error: `cursor=${shown(cursor)}: expected the "next" of a previous page` };
    }
    search.cursor = cursor;
  }
  return search;
}

function shown(text: string | undefined): string {
  return JSON.stringify((text ?? "").slice(0, 80));
}
