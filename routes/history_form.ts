/**
 * The dashboard's log search as a query string (`/log?name=...&outcome=blocked&from=...`): each
 * field read, checked and turned into a `HistorySearch` field, or one line saying which field
 * is wrong and what it takes. Times are UTC, as the page shows them (`2026-01-10T12:30`, what
 * a datetime-local input sends). Empty fields ask for nothing, so a form sent as it is works.
 */
import { parseTypeName, Rcode, rcodeName } from "../dns/mod.ts";
import type { HistorySearch, Outcome } from "../observe/history.ts";
import { OUTCOMES } from "../observe/history.ts";
import { logFilter } from "../observe/log_filter.ts";

/** Rows per page of the dashboard's log. */
export const PAGE_ROWS = 50;
/** Longest name part searched for (a whole name fits). */
const MAX_NAME = 253;
/** Longest cursor taken back (a store's cursors are short). */
const MAX_CURSOR = 200;
/** Cursors of the pages before this one kept in the link back (`seen`). */
export const MAX_SEEN = 100;

/** The fields as given, for filling the form in again. */
export type SearchFields = Record<
  "name" | "client" | "profile" | "type" | "outcome" | "rcode" | "from" | "to",
  string
>;

export interface ParsedSearch {
  search: HistorySearch;
  fields: SearchFields;
  /** The cursors of the pages shown before this one, oldest first (for "newer"). */
  seen: string[];
}

/** The search `query` (a request's parameters) asks for, or what is wrong with it. */
export function parseSearch(
  query: (name: string) => string | undefined,
  seen: string[] = [],
): ParsedSearch | { error: string } {
  const fields = {} as SearchFields;
  for (const key of ["name", "client", "profile", "type", "outcome", "rcode", "from", "to"]) {
    fields[key as keyof SearchFields] = (query(key) ?? "").trim();
  }
  const search: HistorySearch = { limit: PAGE_ROWS };
  if (fields.name.length > MAX_NAME) {
    return { error: `name: at most ${MAX_NAME} characters, got ${fields.name.length}` };
  }
  if (fields.name !== "") search.name = fields.name.toLowerCase();
  const filter = logFilter({ client: fields.client, profile: fields.profile });
  if ("error" in filter) return filter;
  if (filter.client !== undefined) search.client = filter.client;
  if (filter.profile !== undefined) search.profile = filter.profile;
  if (fields.type !== "") {
    const type = parseTypeName(fields.type);
    if (type === undefined) {
      return {
        error: `type=${show(fields.type)}: expected a record type (A, AAAA, MX, 65, \u2026)`,
      };
    }
    search.type = type;
  }
  if (fields.outcome !== "") {
    if (!OUTCOMES.includes(fields.outcome as Outcome)) {
      return { error: `outcome=${show(fields.outcome)}: expected one of ${OUTCOMES.join(", ")}` };
    }
    search.outcome = fields.outcome as Outcome;
  }
  if (fields.rcode !== "") {
    const rcode = parseRcode(fields.rcode);
    if (rcode === undefined) {
      return {
        error: `rcode=${show(fields.rcode)}: expected an rcode (NXDOMAIN, SERVFAIL, 3, \u2026)`,
      };
    }
    search.rcode = rcode;
  }
  for (const key of ["from", "to"] as const) {
    if (fields[key] === "") continue;
    const time = parseUtc(fields[key]);
    if (time === undefined) {
      return { error: `${key}=${show(fields[key])}: expected a UTC time like 2026-01-10T12:30` };
    }
    search[key] = time;
  }
  const cursor = query("cursor");
  if (cursor !== undefined && cursor !== "") {
    if (cursor.length > MAX_CURSOR) return { error: "cursor: not one this page gave" };
    search.cursor = cursor;
  }
  if (seen.length > MAX_SEEN || seen.some((one) => one.length > MAX_CURSOR)) {
    return { error: "seen: not what this page gave" };
  }
  return { search, fields, seen };
}

/** An rcode by name or number (0-4095). */
export function parseRcode(text: string): number | undefined {
  if (/^\d{1,4}$/.test(text)) return Number(text) < 4096 ? Number(text) : undefined;
  const code = (Rcode as Record<string, number>)[text.toUpperCase()];
  return code === undefined || rcodeName(code) !== text.toUpperCase() ? undefined : code;
}

/** "2026-01-10T12:30" (seconds optional) as UTC milliseconds. */
function parseUtc(text: string): number | undefined {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(text)) return undefined;
  const time = Date.parse(`${text}Z`);
  return Number.isNaN(time) ? undefined : time;
}

const show = (text: string) => JSON.stringify(text.slice(0, 80));
