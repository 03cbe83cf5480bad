/**
 * DNS-over-HTTPS (RFC 8484: GET `?dns=<base64url>`, POST `application/dns-message` on
 * /dns-query), owned here whole: the fast path, the route of the app, their HTTP errors and
 * wording. HTTP statuses speak only of HTTP problems (DESIGN §7); any DNS answer, even
 * SERVFAIL or NXDOMAIN, is a 200 with the client's own transaction ID.
 *
 * The fast path answers well-formed queries before any router: Hono's dispatch was a visible
 * share of a cached answer's CPU, and a fresh process answers its first DoH queries without
 * loading Hono at all (routes/lazy_app.ts). What it leaves alone, every HTTP error but a bad
 * dns parameter included, reaches `DohDoor.routed` through the app's middleware, and is
 * answered with the same `answer`. The fast path passes the request (the URL of a GET, the
 * body of a POST) to the answer memo, so the same request a moment later is answered as it
 * was (pipeline/answer_memo.ts).
 */
import type { Context } from "hono";
import { DnsWireError } from "../dns/mod.ts";
import type { MemoRequest } from "../pipeline/answer_memo.ts";
import type { Resolution, Resolver } from "../pipeline/resolver.ts";
import type { ClientInfo, MaybePromise } from "../pipeline/types.ts";
import type { CidrSet } from "../net/cidr.ts";
import { ClientRefusals, type RateLimiter } from "../net/rate_limit.ts";
import { decodeBase64Url } from "./base64url.ts";
import {
  type BodyBounds,
  DEFAULT_BODY_TIMEOUT_MS,
  readBoundedBody,
  readDeclaredBody,
  unread,
} from "./bounded_body.ts";
import { tooManyQueries } from "./rate_limit.ts";
import { addressOf, type AppEnv, clientAddress, clientBehind } from "./client_address.ts";
import {
  admitClient,
  type ClientAdmission,
  clientIdEnd,
  isRefusal,
  type Refusal,
  segmentClient,
} from "./client_id.ts";
import { reason } from "./reason.ts";

export const DNS_MESSAGE_TYPE = "application/dns-message";
/** Largest query accepted. Real queries are a few hundred bytes; 4 KiB leaves room for padding. */
export const MAX_QUERY_BYTES = 4096;
/** Longest GET URL accepted: a MAX_QUERY_BYTES query in base64url plus path and other params. */
export const MAX_URL_LENGTH = 6144;

export const DOH_PATH = "/dns-query";
export const NOT_BASE64URL = "dns parameter is not base64url";

export interface DohDeps extends ClientAdmission {
  resolver: Pick<Resolver, "resolve" | "repeat">;
  /** Where unexpected errors are reported (they become a 500); console.error by default. */
  reportError?: (error: unknown) => void;
  /** How long a POST body may take to arrive (HTTP_BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
  /**
   * For the fast path, which runs before the app's middleware: proxies whose forwarding
   * headers name the client (TRUSTED_PROXIES), and the per-client limit (DOH_RATE).
   */
  trustedProxies?: CidrSet;
  rateLimiter?: Pick<RateLimiter, "wait">;
}

/** How the Hono app (or the lazy door before it) hands on what the door does not take. */
type Routed<Env, Ctx> = (
  request: Request,
  env?: Env,
  executionCtx?: Ctx,
) => Response | Promise<Response>;

/**
 * DNS-over-HTTPS, the one owner of /dns-query: its fast path, its routed handler, its errors
 * and their wording. Made once per HTTP door; `front` is the one place the fast path is put in
 * front of a dispatcher (as Hono keeps its one-handler shortcut inside its own dispatch), so
 * no request is offered to it twice.
 */
export class DohDoor {
  readonly #deps: DohDeps;
  readonly #bounds: BodyBounds;

  constructor(deps: DohDeps) {
    this.#deps = {
      ...deps,
      reportError: deps.reportError ?? console.error,
      refusals: deps.directory && (deps.refusals ?? new ClientRefusals()),
    };
    this.#bounds = dnsMessageBounds(deps);
  }

  /** Where this door counts and throttles refused strangers (with a directory only). */
  get refusals(): ClientRefusals | undefined {
    return this.#deps.refusals;
  }

  /**
   * `routed` with the fast path in front: a request the fast path takes is answered there,
   * everything else goes to `routed`, which answers /dns-query with `routed` below.
   */
  front<Env, Ctx>(routed: Routed<Env, Ctx>): Routed<Env, Ctx> {
    return (request, env, executionCtx) =>
      this.take(request, remoteAddrOf(env)) ?? routed(request, env, executionCtx);
  }

  /**
   * The fast path: answers a well-formed DoH request without the router -- a GET on exactly
   * /dns-query or /dns-query/<clientid> with a plain (no %-escapes) `dns` parameter, or a POST
   * of application/dns-message to either with a Content-Length within the limit. Returns
   * undefined, touching nothing (the body is unread), for any other request (a ClientID that
   * is not a plain label included: the routes word it); a 400 when that parameter is not
   * base64url.
   */
  take(
    request: Request,
    remoteAddr: Deno.Addr | undefined,
  ): Response | Promise<Response> | undefined {
    const deps = this.#deps;
    const url = request.url;
    if (url.length > MAX_URL_LENGTH) return undefined;
    const path = url.indexOf("/", url.indexOf("//") + 2);
    if (path < 0 || !url.startsWith(DOH_PATH, path)) return undefined;
    let after = path + DOH_PATH.length;
    let clientId: string | undefined;
    if (after < url.length && url.charCodeAt(after) !== QUESTION_MARK) {
      // /dns-query/<clientid>: the one thing more this path reads.
      if (url.charCodeAt(after) !== SLASH) return undefined;
      const end = clientIdEnd(url, after + 1);
      if (end < 0) return undefined;
      clientId = url.slice(after + 1, end).toLowerCase();
      after = end;
    }
    const method = request.method;
    if (method === "GET") {
      // A dns parameter makes it DoH, whatever Accept says (routes/json.ts agrees): no header
      // is read on this path, as reading one showed in a cached GET's CPU (`deno task
      // bench:all`, cached GET rows).
      const start = plainDnsParam(url, after + 1);
      if (start < 0) return undefined;
      const client = admit(deps, request, url, remoteAddr, "GET", clientId);
      if (client instanceof Response) return client;
      // The same URL as a moment ago: the same answer (pipeline/answer_memo.ts).
      const repeated = deps.resolver.repeat(url, client);
      if (repeated !== undefined) return dnsMessageResponse(repeated);
      const end = url.indexOf("&", start);
      const query = decodeBase64Url(url, start, end < 0 ? url.length : end);
      if (query === undefined) return reason(400, NOT_BASE64URL);
      return answer(deps, query, client, url);
    }
    if (method === "POST") {
      const headers = request.headers;
      if (!isDnsMessageType(headers.get("content-type"))) return undefined;
      const length = Number(headers.get("content-length") ?? NaN);
      if (!(length <= MAX_QUERY_BYTES)) return undefined;
      const client = admit(deps, request, url, remoteAddr, "POST", clientId);
      if (client instanceof Response) return client;
      const bounds = this.#bounds;
      return readDeclaredBody(request, bounds).then((read) => {
        if (!(read instanceof Uint8Array)) return unread(read, bounds);
        const repeated = deps.resolver.repeat(read, client);
        return repeated === undefined
          ? answer(deps, read, client, read)
          : dnsMessageResponse(repeated);
      });
    }
    return undefined;
  }

  /**
   * /dns-query as a route of the app, for what the fast path left alone (every HTTP error but
   * a dns parameter that is not base64url, met after admitting the client), once the app's
   * middleware has admitted the client: the same checks, answer and wording.
   */
  async routed(c: Context<AppEnv>): Promise<Response> {
    const deps = this.#deps;
    const method = c.req.method;
    // HEAD is a GET whose body Hono leaves out.
    if (method === "GET" || method === "HEAD") {
      if (c.req.url.length > MAX_URL_LENGTH) {
        return reason(414, `URI too long: at most ${MAX_URL_LENGTH} characters`);
      }
      const client = routedClient(deps, c, "GET");
      if (client instanceof Response) return client;
      const param = c.req.query("dns");
      if (param === undefined) return reason(400, "missing dns parameter (a base64url DNS query)");
      const query = decodeBase64Url(param);
      if (query === undefined) return reason(400, NOT_BASE64URL);
      return answer(deps, query, client);
    }
    if (method === "POST") {
      const client = routedClient(deps, c, "POST");
      if (client instanceof Response) return client;
      if (!isDnsMessageType(c.req.header("content-type"))) {
        return reason(415, `content-type must be ${DNS_MESSAGE_TYPE}`);
      }
      const read = await readBoundedBody(c.req.raw, this.#bounds);
      if (read instanceof Response) return read;
      return answer(deps, read ?? new Uint8Array(0), client);
    }
    return reason(405, "method not allowed: use GET or POST", { allow: "GET, POST" });
  }
}

/** The peer's address Deno.serve passes as the app's env (undefined in in-process tests). */
function remoteAddrOf(env: unknown): Deno.Addr | undefined {
  return env && typeof env === "object" && "remoteAddr" in env
    ? env.remoteAddr as Deno.Addr | undefined
    : undefined;
}

/**
 * What the app's middleware does for routed requests, for the fast path: the client (behind a
 * trusted proxy, the forwarded address), or a 429 when that client is over its rate; then
 * who it is (routes/client_id.ts `admitClient`).
 */
function admit(
  deps: DohDeps,
  request: Request,
  url: string,
  remoteAddr: Deno.Addr | undefined,
  method: "GET" | "POST",
  clientId: string | undefined,
): ClientInfo | Response {
  const peer = addressOf(remoteAddr);
  const address = deps.trustedProxies
    ? clientBehind(peer, request.headers, deps.trustedProxies)
    : peer;
  const waitMs = deps.rateLimiter?.wait(address) ?? 0;
  if (waitMs > 0) return tooManyQueries(waitMs);
  // Without a directory and a ClientID: the client as it always was, nothing more asked.
  if (deps.directory === undefined && clientId === undefined) {
    return { address, door: "doh", method };
  }
  const client: ClientInfo = { address, door: "doh", method, clientId };
  return refusedOr(admitClient(deps, client, url, DOH_PATH));
}

/**
 * The routed path's client (its address set by the app's middleware), with the ClientID of
 * /dns-query/<clientid> and who it is; or the response refusing it.
 */
function routedClient(
  deps: DohDeps,
  c: Context<AppEnv>,
  method: "GET" | "POST",
): ClientInfo | Response {
  const client: ClientInfo = { address: clientAddress(c), door: "doh", method };
  return refusedOr(segmentClient(deps, client, c.req.param("clientId"), c.req.url, DOH_PATH));
}

/** The client, or the plain-text response of its refusal. */
function refusedOr(found: ClientInfo | Refusal): ClientInfo | Response {
  return isRefusal(found) ? reason(found.status, found.text, found.headers) : found;
}

const QUESTION_MARK = 0x3f;
const SLASH = 0x2f;

/**
 * Where the value of the first `dns` parameter of the query string starting at `from` begins
 * (it runs to the next "&"), when the query string has nothing the router would decode
 * (%-escapes, "+") and the parameter has a value; -1 otherwise. Read in place: slicing the
 * query string and the value out showed in the profile of cached answers.
 */
function plainDnsParam(url: string, from: number): number {
  if (from >= url.length) return -1;
  for (let at = from; at < url.length; at++) {
    const code = url.charCodeAt(at);
    if (code === PERCENT || code === PLUS || code === HASH) return -1;
  }
  for (let at = from; at < url.length;) {
    const amp = url.indexOf("&", at);
    const end = amp < 0 ? url.length : amp;
    if (url.startsWith("dns", at)) {
      if (url.charCodeAt(at + 3) === EQUALS) return at + 4;
      if (at + 3 === end) return -1;
    }
    at = end + 1;
  }
  return -1;
}

const PERCENT = 0x25;
const PLUS = 0x2b;
const HASH = 0x23;
const EQUALS = 0x3d;

/** Whether a Content-Type is application/dns-message, in any case and with any parameters. */
function isDnsMessageType(header: string | null | undefined): boolean {
  // What every DoH client sends, checked without splitting and folding it first.
  if (header === DNS_MESSAGE_TYPE) return true;
  return header?.split(";", 1)[0].trim().toLowerCase() === DNS_MESSAGE_TYPE;
}

/** A DoH body: a DNS message, within its size and the body timeout. */
function dnsMessageBounds(deps: DohDeps): BodyBounds {
  return {
    maxBytes: MAX_QUERY_BYTES,
    timeoutMs: deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    what: "DNS message",
  };
}

/**
 * The response to a query; at once when the resolver answered at once (a cache hit). With
 * `request` (a GET's URL, a POST's body), a reusable answer is remembered for the same request
 * again (pipeline/answer_memo.ts).
 */
function answer(
  deps: DohDeps,
  query: Uint8Array,
  client: ClientInfo,
  request?: MemoRequest,
): Response | Promise<Response> {
  if (query.length === 0) return reason(400, "empty DNS message");
  if (query.length > MAX_QUERY_BYTES) {
    return reason(414, `DNS message too large: at most ${MAX_QUERY_BYTES} bytes`);
  }
  let resolution: MaybePromise<Resolution>;
  try {
    // Not the request's signal: a client hanging up need not cancel a lookup others (and, with
    // the cache, later queries) benefit from, and the query budget bounds it anyway.
    resolution = deps.resolver.resolve(query, client, undefined, request);
  } catch (error) {
    return failed(deps, error);
  }
  if (resolution instanceof Promise) {
    return resolution.then(dnsMessageResponse, (error) => failed(deps, error));
  }
  return dnsMessageResponse(resolution);
}

/** A query that could not be decoded is the client's mistake (400); anything else is ours. */
function failed(deps: DohDeps, error: unknown): Response {
  if (error instanceof DnsWireError) {
    return reason(400, `malformed DNS message: ${error.message}`);
  }
  return internalError(deps, error);
}

/** What the app's error handler does with anything unexpected: report it, answer 500. */
function internalError(deps: DohDeps, error: unknown): Response {
  (deps.reportError ?? console.error)(error);
  return reason(500, "internal error");
}

/** 200 with the wire answer; cacheable for its minimum TTL when the answer may be cached. */
export function dnsMessageResponse(resolution: Resolution): Response {
  const ttl = resolution.answer.ttl;
  return new Response(resolution.bytes, {
    status: 200,
    headers: ttl === undefined
      ? { "content-type": DNS_MESSAGE_TYPE }
      : { "content-type": DNS_MESSAGE_TYPE, "cache-control": `max-age=${ttl}` },
  });
}
