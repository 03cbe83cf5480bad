/**
 * Asking a DoH server (the gateway's door, at its base URL) as a client does: the wire query
 * POSTed as the body, or sent by GET in `?dns=` as base64url without padding, as browsers do.
 */
import { decodeMessage, type Message, RType } from "../../dns/mod.ts";
import assert from "node:assert/strict";
import { makeQuery, type QueryOptions } from "./dns_query.ts";

export interface DohRequest {
  /** POST (the default) sends the query as the body; GET puts it in `?dns=`. */
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  client?: Deno.HttpClient;
}

/** What a query asked with `askDoh` or `dohExchange` came back with. */
export interface DohReply {
  reply: Message;
  cacheControl: string | null;
  /** From sending the query to the reply decoded. */
  ms: number;
}

/** The query's `?dns=` parameter: base64url without padding. */
export const dnsParam = (query: Uint8Array<ArrayBuffer>): string =>
  query.toBase64({ alphabet: "base64url", omitPadding: true });

/** Sends wire-format `query` to `url`/dns-query; the response's body is the caller's to read. */
export function dohFetch(
  url: string,
  query: Uint8Array<ArrayBuffer>,
  { method = "POST", headers = {}, client }: DohRequest = {},
): Promise<Response> {
  return method === "GET"
    ? fetch(`${url}/dns-query?dns=${dnsParam(query)}`, { headers, client })
    : fetch(`${url}/dns-query`, {
      method: "POST",
      headers: { "content-type": "application/dns-message", ...headers },
      body: query,
      client,
    });
}

/** Sends `query` to `url`/dns-query: a status other than 200 fails the test; the decoded reply. */
export async function dohExchange(
  url: string,
  query: Uint8Array<ArrayBuffer>,
  request: DohRequest = {},
): Promise<DohReply> {
  const started = performance.now();
  const response = await dohFetch(url, query, request);
  assert.equal(response.status, 200);
  const reply = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  return {
    reply,
    cacheControl: response.headers.get("cache-control"),
    ms: performance.now() - started,
  };
}

/**
 * Asks `url`/dns-query for `name` and `type` (the query as `makeQuery` builds it with
 * `options`: no EDNS unless `edns` is given); a status other than 200 fails the test.
 */
export function askDoh(
  url: string,
  name: string,
  type: number = RType.A,
  { method, headers, client, ...options }: QueryOptions & DohRequest = {},
): Promise<DohReply> {
  return dohExchange(url, makeQuery(name, type, options), { method, headers, client });
}
