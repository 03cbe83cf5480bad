/** What every route can know about the connection: Deno.serve passes its handler info as env. */
import type { Context } from "hono";

export interface AppEnv {
  Bindings: { remoteAddr?: Deno.Addr };
  /** Set when TRUSTED_PROXIES is: the client behind the proxy (routes/client_address.ts). */
  Variables: { clientAddress?: string };
}

/** The client's IP address, "" when unknown (in-process requests in tests). */
export function clientAddress(c: Context<AppEnv>): string {
  return c.get("clientAddress") ?? peerAddress(c);
}

/** The address at the other end of the connection (a proxy, when there is one). */
export function peerAddress(c: Context<AppEnv>): string {
  return addressOf(c.env?.remoteAddr);
}

export function addressOf(addr: Deno.Addr | undefined): string {
  return addr !== undefined && "hostname" in addr ? addr.hostname : "";
}

export type ReasonStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 408
  | 413
  | 414
  | 415
  | 429
  | 500
  | 503;

/**
 * A one-line plain-text reason, the shape of every HTTP error we send (DESIGN §7). A plain
 * Response (what Hono's `c.text` makes), so paths served before the router send the same.
 */
export function reason(
  status: ReasonStatus,
  text: string,
  headers?: Record<string, string>,
): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=UTF-8", ...headers },
  });
}
