/**
 * The ClientID in an HTTP path (`/dns-query/<clientid>`, `/resolve/<clientid>`) and who the
 * client is, for the DoH door and the JSON API alike: one DNS label (pipeline/profile.ts
 * `CLIENT_ID`), lower-cased; a segment that is not one is 400 naming the rule. With a
 * directory, the client is identified once here and its identity travels with the query; a
 * stranger of a restricted directory (CLIENTS_ONLY) gets an HTTP error, not a DNS answer: 401
 * without a ClientID (saying how to get one in), 403 with an unknown one, and 429 with
 * Retry-After once its address has been refused often (net/rate_limit.ts).
 */
import {
  CLIENT_ID,
  CLIENT_ID_RULE,
  type ClientDirectory,
  type Identity,
} from "../pipeline/profile.ts";
import type { ClientRefusals, RefusingDoor } from "../net/rate_limit.ts";
import { retryAfter } from "./rate_limit.ts";

export { CLIENT_ID_RULE };

/** What the HTTP doors need to admit clients by ClientID; all optional, as before profiles. */
export interface ClientAdmission {
  /** Who is who; without it every client is answered, and the resolver says who it is. */
  directory?: ClientDirectory;
  /** Where refused strangers are counted and throttled (one of the door's own without). */
  refusals?: ClientRefusals;
}

/** Why a client is not answered: an HTTP status, one line, and headers. */
export interface Refusal {
  status: 401 | 403 | 429;
  text: string;
  headers?: Record<string, string>;
}

/** The ClientID a decoded path segment names, lower-cased; undefined when it names none. */
export function clientIdOf(segment: string): string | undefined {
  return CLIENT_ID.test(segment) ? segment.toLowerCase() : undefined;
}

/**
 * Where a ClientID starting at `from` in a URL ends (a "?" or the URL's end), when every
 * character up to there is a label's, 1 to 63 of them; -1 otherwise (a "/", a %-escape: the
 * routes word what is wrong). Read in place, as the fast path reads its URL.
 */
export function clientIdEnd(url: string, from: number): number {
  let at = from;
  for (; at < url.length; at++) {
    const code = url.charCodeAt(at);
    if (code === QUESTION_MARK) break;
    if (!isLabelCode(code)) return -1;
  }
  const length = at - from;
  return length >= 1 && length <= 63 ? at : -1;
}

const QUESTION_MARK = 0x3f;

/** [a-zA-Z0-9-] */
function isLabelCode(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d ||
    (code >= 0x41 && code <= 0x5a);
}

/**
 * The identity of a client the directory knows, or the refusal of one it does not (counted).
 * `path` is the door's path without a ClientID ("/dns-query", "/resolve"), for the 401's hint.
 */
export function identifyClient(
  directory: ClientDirectory,
  refusals: ClientRefusals,
  door: RefusingDoor,
  clientId: string | undefined,
  address: string,
  url: string,
  path: string,
): Identity | Refusal {
  const identity = directory.identify(clientId, address);
  if (identity !== undefined) return identity;
  const waitMs = refusals.refuse(door, address);
  if (waitMs > 0) {
    return {
      status: 429,
      text: "too many refused queries from this address: slow down",
      headers: retryAfter(waitMs),
    };
  }
  if (clientId !== undefined) return { status: 403, text: "unknown ClientID" };
  const host = new URL(url).host;
  return {
    status: 401,
    text: `this server answers only known clients: use https://${host}${path}/<your-clientid>`,
  };
}

/** Whether `identifyClient` refused. */
export function isRefusal(found: Identity | Refusal): found is Refusal {
  return "status" in found;
}
