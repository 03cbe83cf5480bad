/**
 * Which API a request to /dns-query is for: a `dns` parameter makes it RFC 8484 DoH, whatever
 * it accepts (the fast path answers it unread); otherwise asking for application/dns-json or
 * naming a `name` makes it the JSON API's. Apart from json.ts so the rate limit can tell
 * without loading the JSON routes.
 */
import type { Context } from "hono";
import type { AppEnv } from "./client_address.ts";

export const DNS_JSON_TYPE = "application/dns-json";

/** Whether a request to /dns-query is for the JSON API rather than DoH. */
export function wantsJson(c: Context<AppEnv>): boolean {
  if (c.req.query("dns") !== undefined) return false;
  if (c.req.header("accept")?.toLowerCase().includes(DNS_JSON_TYPE)) return true;
  return c.req.query("name") !== undefined;
}
