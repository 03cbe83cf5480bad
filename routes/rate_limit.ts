/**
 * The per-client rate limit of DoH and the JSON API (DOH_RATE, DOH_BURST): the UDP door's
 * token bucket (net/rate_limit.ts) keyed by the client address the routes see -- behind a
 * trusted proxy, the forwarded one, so one proxy does not count as one client. Over its rate
 * a client gets 429 with Retry-After in seconds and a one-line reason (`{"error"}` on the
 * JSON API), before its request costs anything more.
 */
import type { MiddlewareHandler } from "hono";
import type { RateLimiter } from "../net/rate_limit.ts";
import { type AppEnv, clientAddress } from "./client_address.ts";
import { reason } from "./reason.ts";
import { wantsJson } from "./json_request.ts";

export function rateLimit(limiter: Pick<RateLimiter, "wait">): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const waitMs = limiter.wait(clientAddress(c));
    if (waitMs === 0) return await next();
    if (c.req.path === "/resolve" || c.req.path.startsWith("/resolve/") || wantsJson(c)) {
      return c.json({ error: TOO_MANY }, 429, retryAfter(waitMs));
    }
    return tooManyQueries(waitMs);
  };
}

const TOO_MANY = "too many queries from this address: slow down";

/** The 429 of a DoH query, with Retry-After in whole seconds (at least 1). */
export function tooManyQueries(waitMs: number): Response {
  return reason(429, TOO_MANY, retryAfter(waitMs));
}

/** The Retry-After header of a 429, in whole seconds (at least 1). */
export function retryAfter(waitMs: number): Record<string, string> {
  return { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) };
}
