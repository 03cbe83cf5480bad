/**
 * A query log entry's JSON line (fixed key order, the type by name, the time in ISO form)
 * written straight into a byte buffer, for the lines to stdout and, decoded, for everything
 * else (`formatEntry`). Once per query, building the line as a string, joining a batch of them
 * and encoding it were most of what the query log cost a cached answer, and the log is on by
 * default: it must stay a small share of an answer (`deno task bench:all`, cached rows).
 */
import { typeName } from "../dns/mod.ts";
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";
import type { QueryLogEntry } from "../pipeline/types.ts";

const encoder = new TextEncoder();

/** Room a line for `entry` can take at most: every string escaped at 6 bytes a character. */
export function entryLineBound(entry: QueryLogEntry): number {
  const strings = entry.client.length + (entry.clientName?.length ?? 0) +
    (entry.profile?.length ?? 0) + entry.name.length + (entry.rule?.length ?? 0) +
    (entry.upstream?.length ?? 0) + (entry.error?.length ?? 0);
  return FIXED_BOUND + 6 * strings;
}

/** Keys, the time, the enumerations and the numbers, with room to spare. */
const FIXED_BOUND = 352;

/** Writes the line for `entry` (no newline) into `out` from `at`; returns where it ends. */
export function encodeEntry(entry: QueryLogEntry, out: Uint8Array, at: number): number {
  at = ascii(out, at, '{"time":"');
  at = ascii(out, at, isoTime(entry.time));
  at = ascii(out, at, '","client":');
  at = jsonString(out, at, entry.client);
  if (entry.clientName !== undefined) {
    at = jsonString(out, ascii(out, at, ',"clientName":'), entry.clientName);
  }
  // The default profile goes unsaid: without a profiles file every line is the default's, and
  // stays as short as it was; a line without "profile" is the default's.
  if (entry.profile !== undefined && entry.profile !== DEFAULT_PROFILE) {
    at = jsonString(out, ascii(out, at, ',"profile":'), entry.profile);
  }
  at = ascii(out, at, ',"door":"');
  at = ascii(out, at, entry.door);
  if (entry.method !== undefined) {
    at = ascii(out, at, '","method":"');
    at = ascii(out, at, entry.method);
  }
  at = ascii(out, at, '","name":');
  at = jsonString(out, at, entry.name);
  at = ascii(out, at, ',"type":"');
  at = ascii(out, at, typeName(entry.type));
  out[at++] = QUOTE;
  if (entry.source !== undefined) {
    at = ascii(out, at, ',"source":"');
    at = ascii(out, at, entry.source);
    out[at++] = QUOTE;
  }
  if (entry.rule !== undefined) at = jsonString(out, ascii(out, at, ',"rule":'), entry.rule);
  if (entry.upstream !== undefined) {
    at = jsonString(out, ascii(out, at, ',"upstream":'), entry.upstream);
  }
  if (entry.rcode !== undefined) at = number(out, ascii(out, at, ',"rcode":'), entry.rcode);
  if (entry.durationMs !== undefined) {
    at = number(out, ascii(out, at, ',"durationMs":'), entry.durationMs);
  }
  if (entry.error !== undefined) at = jsonString(out, ascii(out, at, ',"error":'), entry.error);
  out[at++] = CLOSE_BRACE;
  return at;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;

/** Text known to be printable ASCII with nothing to escape: keys, enumerations, the time. */
function ascii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/**
 * `value` as JSON.stringify writes it. Printable ASCII without quotes or backslashes (names,
 * addresses) is copied as it is; anything else is left to JSON.stringify and encoded.
 */
function jsonString(out: Uint8Array, at: number, value: string): number {
  const start = at;
  out[at++] = QUOTE;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === QUOTE || code === BACKSLASH) {
      return start + encoder.encodeInto(JSON.stringify(value), out.subarray(start)).written;
    }
    out[at++] = code;
  }
  out[at++] = QUOTE;
  return at;
}

/** A number as String() writes it; one digit without the call. */
function number(out: Uint8Array, at: number, value: number): number {
  if (value >= 0 && value <= 9 && Number.isInteger(value)) {
    out[at++] = 0x30 + value;
    return at;
  }
  return ascii(out, at, String(value));
}

/** Queries under load arrive many per millisecond, and toISOString is dear: the last is kept. */
let lastTime = NaN;
let lastIso = "";

function isoTime(time: number): string {
  if (time !== lastTime) {
    lastIso = new Date(time).toISOString();
    lastTime = time;
  }
  return lastIso;
}
