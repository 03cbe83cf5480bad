/**
 * The admin API's door: a bearer token (ADMIN_TOKEN) compared in constant time. Without a
 * token configured the admin API is off (404), never open. No token sent: 401 with
 * `WWW-Authenticate: Bearer`; a wrong one: 403. Each with a one-line reason (DESIGN §7).
 */
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { type AppEnv, reason } from "./env.ts";

export function adminAuth(token: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (token === undefined) return reason(404, "admin API is off: set ADMIN_TOKEN to use it");
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      return reason(401, "admin API needs Authorization: Bearer <ADMIN_TOKEN>", {
        "www-authenticate": 'Bearer realm="admin"',
      });
    }
    if (!(await timingSafeEqual(match[1], token))) return reason(403, "wrong admin token");
    await next();
  };
}
