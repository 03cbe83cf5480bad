/** The one shape of every HTTP error the gateway sends: a status and a one-line reason. */

export type ReasonStatus =
  | 400
  | 401
  | 403
  | 404
  | 405
  | 408
  | 409
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
