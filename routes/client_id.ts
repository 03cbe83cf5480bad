/**
 * The ClientID in an HTTP path (`/dns-query/<clientid>`, `/resolve/<clientid>`) and who the
 * client is, for the DoH door and the JSON API alike: one DNS label (pipeline/profile.ts
 * `CLIENT_ID`), lower-cased; a segment that is not one is 400 naming the rule. With a
 * directory, the client is identified once here and its identity travels with the query; a
 * stranger of a restricted directory (CLIENTS_ONLY) gets an HTTP error, not a DNS answer: 401
 * without a ClientID (saying how to get one in), 403 with an unknown one, and 429 with
 * Retry-After once its address has been refused often (net/rate_limit.ts).
 */
import { CLIENT_ID, CLIENT_ID_RULE, type ClientDirectory } from "../pipeline/profile.ts";
import type { ClientRefusals } from "../net/rate_limit.ts";
import type { ClientInfo } from "../pipeline/types.ts";
import { retryAfter } from "./rate_limit.ts";

/** What the HTTP doors need to admit clients by ClientID; all optional, as before profiles. */
export interface ClientAdmission {
  /** Who is who; without it every client is answered, and the resolver says who it is. */
  directory?: ClientDirectory;
  /** Where refused strangers are counted and throttled (one of the door's own without). */
  refusals?: ClientRefusals;
}

/** Why a request is not answered: an HTTP status, one line, and headers. */
export interface Refusal {
  status: 400 | 401 | 403 | 429;
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
 * The client of a request to `path` (the door's path without a ClientID: "/dns-query",
 * "/resolve") whose next segment, as the router decoded it, is `segment` (undefined: none):
 * with its ClientID and, with a directory, its identity; or why it is refused (400 naming the
 * rule for a segment that is no ClientID).
 */
export function segmentClient(
  admission: ClientAdmission,
  client: ClientInfo,
  segment: string | undefined,
  url: string,
  path: string,
): ClientInfo | Refusal {
  if (segment !== undefined) {
    client.clientId = clientIdOf(segment);
    if (client.clientId === undefined) return { status: 400, text: CLIENT_ID_RULE };
  }
  return admitClient(admission, client, url, path);
}

/**
 * The client with its identity, when there is a directory to ask (once, here: the resolver
 * then asks no more); the refusal of a stranger of a restricted one, counted: 401 without a
 * ClientID (the hint names `path`), 403 with an unknown one, 429 once its address has been
 * refused often.
 */
export function admitClient(
  admission: ClientAdmission,
  client: ClientInfo,
  url: string,
  path: string,
): ClientInfo | Refusal {
  const { directory, refusals } = admission;
  if (directory === undefined) return client;
  const { address, clientId } = client;
  const identity = directory.identify(clientId, address);
  if (identity !== undefined) {
    client.identity = identity;
    return client;
  }
  const waitMs = refusals?.refuse(client.door, address) ?? 0;
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

/** Whether the client was refused. */
export function isRefusal(found: ClientInfo | Refusal): found is Refusal {
  return "status" in found;
}
