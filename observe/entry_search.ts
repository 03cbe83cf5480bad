/**
 * A search over query-log entries held in memory (the ring, or entries read back from the
 * Redis stream): the one every history without a database runs.
 */
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { type HistoryPage, type HistorySearch, outcomeOf } from "./history.ts";

/**
 * A search over entries held in memory (the ring, or entries read from the Redis stream),
 * newest first. The cursor is the time of the last row shown and how many rows of that same
 * time were shown, so a page goes on where the last ended even as newer queries arrive.
 */
export function searchEntries(
  oldestFirst: QueryLogEntry[],
  search: HistorySearch,
  answerOf: (entry: QueryLogEntry) => string,
  instanceOf?: (entry: QueryLogEntry) => string | undefined,
): HistoryPage {
  const after = parseCursor(search.cursor);
  // Newest first by time; entries of the same time in the order they were logged, newest first.
  const newestFirst = oldestFirst.slice().reverse().sort((a, b) => b.time - a.time);
  const rows: HistoryPage["rows"] = [];
  let sameTime = 0;
  let lastTime = Number.NaN;
  let more = false;
  for (const entry of newestFirst) {
    if (!matches(search, entry)) continue;
    sameTime = entry.time === lastTime ? sameTime + 1 : 1;
    lastTime = entry.time;
    if (
      after && (entry.time > after.time || (entry.time === after.time && sameTime <= after.skip))
    ) {
      continue;
    }
    if (rows.length === search.limit) {
      more = true;
      break;
    }
    const row: HistoryPage["rows"][number] = {
      entry,
      answer: answerOf(entry),
      outcome: outcomeOf(entry),
    };
    const instance = instanceOf?.(entry);
    if (instance !== undefined) row.instance = instance;
    rows.push(row);
  }
  const last = rows.at(-1)?.entry;
  if (!more || last === undefined) return { rows };
  const shown = rows.filter((row) => row.entry.time === last.time).length +
    (after?.time === last.time ? after.skip : 0);
  return { rows, next: `${last.time}.${shown}` };
}

/** Whether `entry` is one `search` asks for (its filters; not its cursor or limit). */
function matches(search: HistorySearch, entry: QueryLogEntry): boolean {
  if (search.from !== undefined && entry.time < search.from) return false;
  if (search.to !== undefined && entry.time >= search.to) return false;
  if (search.type !== undefined && entry.type !== search.type) return false;
  if (search.rcode !== undefined && entry.rcode !== search.rcode) return false;
  if (search.outcome !== undefined && outcomeOf(entry) !== search.outcome) return false;
  if (
    search.profile !== undefined &&
    search.profile.toLowerCase() !== (entry.profile ?? DEFAULT_PROFILE).toLowerCase()
  ) return false;
  if (search.client !== undefined && !sameClient(search.client.toLowerCase(), entry)) {
    return false;
  }
  return search.name === undefined ||
    entry.name.toLowerCase().includes(search.name.toLowerCase());
}

/** Whether `entry` is the client named (lower-cased): its display name or logged client. */
function sameClient(lowerCased: string, entry: QueryLogEntry): boolean {
  return entry.clientName?.toLowerCase() === lowerCased ||
    entry.client.toLowerCase() === lowerCased;
}

/** "<time>.<rows of that time already shown>", or undefined (the newest page). */
function parseCursor(cursor: string | undefined): { time: number; skip: number } | undefined {
  const match = cursor === undefined ? null : /^(\d{1,15})\.(\d{1,6})$/.exec(cursor);
  return match ? { time: Number(match[1]), skip: Number(match[2]) } : undefined;
}
