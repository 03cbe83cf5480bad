/**
 * GET and HEAD take no body (RFC 9110 §9.3.1-2): one that declares one (a Content-Length other
 * than 0, or a Transfer-Encoding) is 400 in the app's first middleware, before any route, so
 * every path answers it alike and nothing is logged. Deno hands such a request to the handler
 * with its body hidden, and a route that rebuilt it (bounded_body.ts) would throw: a GET or
 * HEAD Request cannot be made with a body.
 *
 * The DoH fast path (doh_door.ts) reads no header of a GET, which keeps a cached answer
 * cheap: a GET with a plain `dns` parameter is answered there, its body left unread.
 */
import { reason } from "./reason.ts";

export function refuseBodyOnGet(request: Request): Response | undefined {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return undefined;
  const headers = request.headers;
  const length = headers.get("content-length");
  if ((length === null || Number(length) === 0) && !headers.has("transfer-encoding")) {
    return undefined;
  }
  return reason(400, `a ${method} request takes no body`);
}
