/**
 * The JSON API: `GET /resolve?name=&type=&do=&cd=` (Google's path) and `GET /dns-query` with
 * `accept: application/dns-json` (Cloudflare's). It asks the same pipeline as DoH (door
 * "json"), so local records, blocking and the cache apply alike. A bad parameter is HTTP 400
 * with `{"error": "..."}`, as both providers answer; any DNS answer is a 200.
 *
 * Both paths take a ClientID segment (`/resolve/<clientid>`, `/dns-query/<clientid>`), worded
 * and admitted as DoH's are (client_id.ts), the errors as `{"error"}`.
 *
 * Content types follow the providers: `application/json` on /resolve (Google), and
 * `application/dns-json` on /dns-query (Cloudflare). `ct=application/dns-message` asks for the
 * wire answer instead, as Google allows.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { decodeMessage } from "../dns/mod.ts";
import type { Resolver } from "../pipeline/resolver.ts";
import { jsonQuery, toDnsJson } from "./dns_json.ts";
import { DNS_MESSAGE_TYPE, dnsMessageResponse, MAX_URL_LENGTH } from "./doh_door.ts";
import { type AppEnv, clientAddress } from "./client_address.ts";
import { type ClientAdmission, isRefusal, segmentClient } from "./client_id.ts";
import { DNS_JSON_TYPE, wantsJson } from "./json_request.ts";
import { ClientRefusals } from "../net/rate_limit.ts";
import type { ClientInfo } from "../pipeline/types.ts";

const JSON_TYPE = "application/json";

export interface JsonDeps extends ClientAdmission {
  resolver: Pick<Resolver, "resolve">;
}

export function jsonRoutes(deps: JsonDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const admission = {
    ...deps,
    refusals: deps.directory && (deps.refusals ?? new ClientRefusals()),
  };
  for (const path of ["/resolve", "/resolve/:clientId"]) {
    routes.get(path, (c) => answer(c, admission, JSON_TYPE, "/resolve"));
    routes.all(path, (c) => jsonError(c, 405, "method not allowed: use GET", { allow: "GET" }));
  }
  // /dns-query is DoH's path too: JSON only when asked for, or when the query is by name.
  for (const path of ["/dns-query", "/dns-query/:clientId"]) {
    routes.get(
      path,
      (c, next) => wantsJson(c) ? answer(c, admission, DNS_JSON_TYPE, "/dns-query") : next(),
    );
  }
  return routes;
}

async function answer(
  c: Context<AppEnv>,
  deps: JsonDeps,
  type: string,
  path: string,
): Promise<Response> {
  if (c.req.url.length > MAX_URL_LENGTH) {
    return jsonError(c, 414, `URI too long: at most ${MAX_URL_LENGTH} characters`);
  }
  const client = jsonClient(c, deps, path);
  if (client instanceof Response) return client;
  const params = new URL(c.req.url).searchParams;
  const asked = jsonQuery(params);
  if ("error" in asked) return jsonError(c, 400, asked.error);
  const resolution = await deps.resolver.resolve(asked.query, client);
  if (params.get("ct") === DNS_MESSAGE_TYPE) return dnsMessageResponse(resolution);
  const headers: Record<string, string> = { "content-type": type };
  if (resolution.answer.ttl !== undefined) {
    headers["cache-control"] = `max-age=${resolution.answer.ttl}`;
  }
  const body = JSON.stringify(toDnsJson(decodeMessage(resolution.bytes)));
  return new Response(body, { status: 200, headers });
}

/** The client, with the ClientID of the path and who it is; or the `{"error"}` refusing it. */
function jsonClient(c: Context<AppEnv>, deps: JsonDeps, path: string): ClientInfo | Response {
  const client: ClientInfo = { address: clientAddress(c), door: "json" };
  const found = segmentClient(deps, client, c.req.param("clientId"), c.req.url, path);
  return isRefusal(found) ? jsonError(c, found.status, found.text, found.headers) : found;
}

/** An HTTP error of the JSON API: `{"error": "..."}`, the shape Google and Cloudflare use. */
function jsonError(
  c: Context<AppEnv>,
  status: 400 | 401 | 403 | 405 | 414 | 429,
  error: string,
  headers: Record<string, string> = {},
): Response {
  return c.json({ error }, status, headers);
}
