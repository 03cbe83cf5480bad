/**
 * The /dns-query routes of the Hono app: what the fast path (doh_answer.ts) leaves alone —
 * which includes every HTTP error but one it meets after admitting the client (a dns
 * parameter that is not base64url: the wording is shared) — answered the same way.
 */
import { Hono } from "hono";
import { decodeBase64Url } from "./base64url.ts";
import { boundedBody } from "./bounded_body.ts";
import {
  answer,
  DNS_MESSAGE_TYPE,
  dnsMessageBounds,
  DOH_PATH,
  type DohDeps,
  isDnsMessageType,
  MAX_URL_LENGTH,
  NOT_BASE64URL,
} from "./doh_answer.ts";
import { type AppEnv, clientAddress, reason } from "./env.ts";

export function dohRoutes(deps: DohDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get(DOH_PATH, (c) => {
    if (c.req.url.length > MAX_URL_LENGTH) {
      return reason(414, `URI too long: at most ${MAX_URL_LENGTH} characters`);
    }
    const param = c.req.query("dns");
    if (param === undefined) return reason(400, "missing dns parameter (a base64url DNS query)");
    const query = decodeBase64Url(param);
    if (query === undefined) return reason(400, NOT_BASE64URL);
    return answer(deps, query, { address: clientAddress(c), door: "doh", method: "GET" });
  });

  routes.post(
    DOH_PATH,
    async (c, next) => {
      if (!isDnsMessageType(c.req.header("content-type"))) {
        return reason(415, `content-type must be ${DNS_MESSAGE_TYPE}`);
      }
      await next();
    },
    boundedBody(dnsMessageBounds(deps)),
    async (c) =>
      answer(deps, new Uint8Array(await c.req.arrayBuffer()), {
        address: clientAddress(c),
        door: "doh",
        method: "POST",
      }),
  );

  routes.all(
    DOH_PATH,
    () => reason(405, "method not allowed: use GET or POST", { allow: "GET, POST" }),
  );
  return routes;
}
