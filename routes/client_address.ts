/**
 * The client's address as every route sees it (`AppEnv`, `clientAddress`), and who the client
 * is behind a reverse proxy (TRUSTED_PROXIES, DESIGN §10). The connection's
 * peer is the client, unless the peer is a trusted proxy: then the proxy's forwarding header is
 * read from the right -- each proxy appends the address it saw -- and the client is the first
 * address that is not itself a trusted proxy. Whatever stands left of it was written by the
 * client (or someone it paid) and is never believed, so a client cannot pick its own address
 * for the rate limit or the query log.
 *
 * The header is X-Forwarded-For when the request has one (nearly every proxy appends to it),
 * else RFC 7239 Forwarded (`for=`). An entry that is no address (`unknown`, an obfuscated
 * `_name`) ends the walk at the proxy that passed it on: that proxy stands for the client.
 */
import type { Context, MiddlewareHandler } from "hono";
import { type CidrSet, parseAddress } from "../net/cidr.ts";

/** What every route can know about the connection: Deno.serve passes its handler info as env. */
export interface AppEnv {
  Bindings: { remoteAddr?: Deno.Addr };
  /** Set when TRUSTED_PROXIES is: the client behind the proxy (`forwardedClient`). */
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

/** The IP address of a connection's remote end, "" when it has none (a Unix socket). */
export function addressOf(addr: Deno.Addr | undefined): string {
  return addr !== undefined && "hostname" in addr ? addr.hostname : "";
}

/** Sets the client address the routes see (`clientAddress(c)`) from trusted proxies' headers. */
export function forwardedClient(trusted: CidrSet): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("clientAddress", clientBehind(peerAddress(c), c.req.raw.headers, trusted));
    await next();
  };
}

/** The client of a request that came from `peer` with `headers`. */
export function clientBehind(peer: string, headers: Headers, trusted: CidrSet): string {
  if (!trusted.has(peer)) return peer;
  const chain = forwardedChain(headers);
  let client = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = bareAddress(chain[i]);
    if (address === undefined) return client;
    client = address;
    if (!trusted.has(address)) return address;
  }
  return client;
}

/** The addresses a request went through, as written, the client's end first. */
function forwardedChain(headers: Headers): string[] {
  const xff = headers.get("x-forwarded-for");
  if (xff !== null) return xff.split(",");
  const forwarded = headers.get("forwarded");
  if (forwarded === null) return [];
  // Each element: `for=...;proto=...;by=...`; an element without `for` says nothing of the client.
  return forwarded.split(",").map((element) => {
    const pair = element.split(";").find((p) => /^\s*for\s*=/i.test(p));
    return pair === undefined ? "" : pair.slice(pair.indexOf("=") + 1);
  });
}

/** The address of an entry (quotes, brackets and a port removed), undefined if it is none. */
function bareAddress(entry: string): string | undefined {
  let text = entry.trim().replace(/^"(.*)"$/, "$1");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.indexOf(":"));
  return parseAddress(text) === undefined ? undefined : text.toLowerCase();
}
