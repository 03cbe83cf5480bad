/**
 * The admin API's door: a bearer token (ADMIN_TOKEN) compared in constant time. Without a
 * token configured the admin API is off (404), never open. No token sent: 401 with
 * `WWW-Authenticate: Bearer`; a wrong one: 403, counted against the client's budget of wrong
 * tokens, and 429 once that is spent (auth_throttle.ts). Each with a one-line reason (DESIGN §7).
 */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { type AuthThrottle, tooManyWrongTokens } from "./auth_throttle.ts";
import { type AppEnv, clientAddress } from "./client_address.ts";
import { reason } from "./reason.ts";

export function adminAuth(
  token: string | undefined,
  throttle: AuthThrottle,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (token === undefined) return reason(404, "admin API is off: set ADMIN_TOKEN to use it");
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      return reason(401, "admin API needs Authorization: Bearer <ADMIN_TOKEN>", {
        "www-authenticate": 'Bearer realm="admin"',
      });
    }
    const address = clientAddress(c);
    const waitMs = throttle.waitMs(address);
    if (waitMs > 0) return tooManyWrongTokens(waitMs);
    if (!(await timingSafeEqual(match[1], token))) {
      throttle.failed(address);
      return reason(403, "wrong admin token");
    }
    await next();
  };
}
