/**
 * The newest queries as a person reads them: the log entry, the rcode by name, and the answer
 * records in presentation form ("A 192.0.2.1, A 192.0.2.2"), so an NXDOMAIN, an empty answer
 * and a real one look different. Decoded only when asked (the dashboard), never per query.
 */
import { decodeMessage, presentRdata, rcodeName, typeName } from "../dns/mod.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";
import { filters, type LogFilter, shows } from "./log_filter.ts";
import type { QueryLog } from "./query_log.ts";

export interface RecentQuery {
  entry: QueryLogEntry;
  /** "NOERROR", "NXDOMAIN", ...; "" when the query got no answer. */
  rcode: string;
  /** The answer section in brief; "" when there is none to show. */
  answer: string;
}

/** Longest answer text; longer ones end in "...". */
const MAX_ANSWER_TEXT = 200;

/** The newest `count` queries the filter shows (all without one), newest first. */
export function recentQueries(
  log: Pick<QueryLog, "recent" | "answerOf">,
  count: number,
  filter: LogFilter = {},
): RecentQuery[] {
  const entries = filters(filter)
    ? log.recent().filter((entry) => shows(filter, entry))
    : log.recent();
  return entries.slice(-count).reverse().map((entry) => ({
    entry,
    rcode: entry.rcode === undefined ? "" : rcodeName(entry.rcode),
    answer: answerText(log.answerOf(entry)),
  }));
}

/** The answer records of a reply, in brief. */
export function answerText(reply: Uint8Array | undefined): string {
  if (reply === undefined) return "";
  let text: string;
  try {
    const message = decodeMessage(reply);
    if (message.answers.length === 0) return "no records";
    text = message.answers.map((record) =>
      `${typeName(record.type)} ${presentRdata(record.type, record.data)}`
    ).join(", ");
  } catch {
    return "(not readable)";
  }
  return text.length > MAX_ANSWER_TEXT ? `${text.slice(0, MAX_ANSWER_TEXT - 1)}\u2026` : text;
}
