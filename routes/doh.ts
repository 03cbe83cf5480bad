/**
 * RFC 8484 DNS-over-HTTPS: GET `?dns=<base64url>` and POST `application/dns-message` on
 * /dns-query. HTTP statuses speak only of HTTP problems (DESIGN §7); any DNS answer, even
 * SERVFAIL or NXDOMAIN, is a 200 with the client's own transaction ID.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { DnsWireError } from "../dns/mod.ts";
import type { Resolution, Resolver } from "../pipeline/resolver.ts";
import { boundedBody, DEFAULT_BODY_TIMEOUT_MS } from "./bounded_body.ts";
import { type AppEnv, clientAddress, reason } from "./env.ts";

export const DNS_MESSAGE_TYPE = "application/dns-message";
/** Largest query accepted. Real queries are a few hundred bytes; 4 KiB leaves room for padding. */
export const MAX_QUERY_BYTES = 4096;
/** Longest GET URL accepted: a MAX_QUERY_BYTES query in base64url plus path and other params. */
export const MAX_URL_LENGTH = 6144;

export interface DohDeps {
  resolver: Pick<Resolver, "resolve">;
  /** How long a POST body may take to arrive (HTTP_BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
}

export function dohRoutes(deps: DohDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/dns-query", (c) => {
    if (c.req.url.length > MAX_URL_LENGTH) {
      return reason(c, 414, `URI too long: at most ${MAX_URL_LENGTH} characters`);
    }
    const param = c.req.query("dns");
    if (param === undefined) return reason(c, 400, "missing dns parameter (a base64url DNS query)");
    const query = decodeBase64Url(param);
    if (query === undefined) return reason(c, 400, "dns parameter is not base64url");
    return answer(c, deps, query);
  });

  routes.post(
    "/dns-query",
    async (c, next) => {
      const type = c.req.header("content-type")?.split(";", 1)[0].trim().toLowerCase();
      if (type !== DNS_MESSAGE_TYPE) {
        return reason(c, 415, `content-type must be ${DNS_MESSAGE_TYPE}`);
      }
      await next();
    },
    boundedBody({
      maxBytes: MAX_QUERY_BYTES,
      timeoutMs: deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      what: "DNS message",
    }),
    async (c) => answer(c, deps, new Uint8Array(await c.req.arrayBuffer())),
  );

  routes.all(
    "/dns-query",
    (c) => reason(c, 405, "method not allowed: use GET or POST", { allow: "GET, POST" }),
  );
  return routes;
}

async function answer(c: Context<AppEnv>, deps: DohDeps, query: Uint8Array): Promise<Response> {
  if (query.length === 0) return reason(c, 400, "empty DNS message");
  if (query.length > MAX_QUERY_BYTES) {
    return reason(c, 414, `DNS message too large: at most ${MAX_QUERY_BYTES} bytes`);
  }
  let resolution: Resolution;
  try {
    const client = { address: clientAddress(c), door: "doh" as const };
    // Not the request's signal: a client hanging up need not cancel a lookup others (and, with
    // the cache, later queries) benefit from, and the query budget bounds it anyway.
    resolution = await deps.resolver.resolve(query, client);
  } catch (error) {
    if (error instanceof DnsWireError) {
      return reason(c, 400, `malformed DNS message: ${error.message}`);
    }
    throw error;
  }
  return dnsMessageResponse(resolution);
}

/** 200 with the wire answer; cacheable for its minimum TTL when the answer may be cached. */
export function dnsMessageResponse(resolution: Resolution): Response {
  const headers: Record<string, string> = { "content-type": DNS_MESSAGE_TYPE };
  if (resolution.answer.ttl !== undefined) {
    headers["cache-control"] = `max-age=${resolution.answer.ttl}`;
  }
  return new Response(resolution.bytes, { status: 200, headers });
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** RFC 8484 §4.1: base64url without padding; padding is tolerated, anything else is not. */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text)) return undefined;
  try {
    return Uint8Array.fromBase64(text.replace(/=+$/, ""), { alphabet: "base64url" });
  } catch {
    return undefined;
  }
}
