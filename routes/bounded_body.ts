/**
 * Request bodies bounded in size and in time. Deno.serve waits for a body as long as the
 * client keeps the connection, so a client trickling a byte a second (slowloris) would hold
 * a handler for ever: a body not whole within `timeoutMs` is 408, one over `maxBytes` is 413
 * (at once when its Content-Length says so), one the client abandons is 400. The request is
 * then rebuilt around the bytes read (as Hono's bodyLimit does), so handlers read them with
 * `c.req.arrayBuffer()`, `json()` or `parseBody()` as usual, without touching the connection.
 */
import type { MiddlewareHandler } from "hono";
import { coarseTimeout } from "../runtime/coarse_timer.ts";
import type { AppEnv } from "./client_address.ts";
import { reason } from "./reason.ts";

/** How long a whole request body may take to arrive unless told otherwise (HTTP_BODY_TIMEOUT_MS). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export interface BodyBounds {
  maxBytes: number;
  timeoutMs: number;
  /** What the body is, for the 413 line: "DNS message", "request body". */
  what: string;
}

export function boundedBody(bounds: BodyBounds): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const read = await readBoundedBody(c.req.raw, bounds);
    if (read instanceof Response) return read;
    if (read === undefined) return next();
    // Not `new Request(raw, ...)`: that would read raw.signal, which Deno.serve warns about.
    const { url, method, headers } = c.req.raw;
    c.req.raw = new Request(url, { method, headers, body: read });
    await next();
  };
}

/**
 * The whole body of `request` within the bounds; the error response when it is too large,
 * late or broken; undefined when there is no body.
 */
export async function readBoundedBody(
  request: Request,
  bounds: BodyBounds,
): Promise<Uint8Array<ArrayBuffer> | Response | undefined> {
  // Deno gives a GET or HEAD no body; one that declared any was refused (no_body.ts), and one
  // that declared 0 bytes must not be rebuilt with an empty one (Request refuses that).
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  const declared = request.headers.get("content-length");
  let read: BodyRead;
  if (declared !== null) {
    // Every DoH client declares its length: the runtime then reads the body natively (and
    // `request.body`, which would make a JS stream of it, is never touched); only the
    // deadline is ours.
    if (Number(declared) > bounds.maxBytes) {
      await request.body?.cancel().catch(() => {});
      return unread("too large", bounds);
    }
    read = await readDeclaredBody(request, bounds);
  } else {
    const body = request.body;
    if (body === null) return undefined;
    read = await readBody(body, bounds);
  }
  return read instanceof Uint8Array ? read : unread(read, bounds);
}

/** The response to a body that could not be read whole within the bounds. */
export function unread(why: Exclude<BodyRead, Uint8Array>, bounds: BodyBounds): Response {
  if (why === "too large") {
    return reason(413, `${bounds.what} too large: at most ${bounds.maxBytes} bytes`);
  }
  // The rest of a late body is not wanted: the connection ends after the 408 (HTTP/1.1;
  // HTTP/2 drops the header and resets just the stream).
  if (why === "late") {
    return reason(408, `request body not received within ${bounds.timeoutMs} ms`, {
      connection: "close",
    });
  }
  return reason(400, "request body ended early");
}

export type BodyRead = Uint8Array<ArrayBuffer> | "too large" | "late" | "broken";

async function readBody(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  bounds: BodyBounds,
): Promise<BodyRead> {
  const reader = body.getReader();
  let late = false;
  // Cancelling settles the pending read, so a stalled client cannot outlast the deadline.
  const timer = setTimeout(() => {
    late = true;
    reader.cancel().catch(() => {});
  }, bounds.timeoutMs);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (late) return "late";
      if (done) break;
      size += value.length;
      if (size > bounds.maxBytes) {
        await reader.cancel().catch(() => {});
        return "too large";
      }
      chunks.push(value);
    }
  } catch {
    return late ? "late" : "broken";
  } finally {
    clearTimeout(timer);
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

/**
 * A body whose length was declared and checked against the bounds (the DoH fast path checks it
 * itself): the whole of it, or why not.
 * The deadline is a coarse timeout (runtime/coarse_timer.ts), not a setTimeout: a Timeout
 * object made and cleared per POST, with the race around it, was a large share of the
 * gateway's own CPU for a cached DoH POST (`deno task bench:all`, cached h2 TLS POST).
 */
export function readDeclaredBody(request: Request, bounds: BodyBounds): Promise<BodyRead> {
  return new Promise((resolve) => {
    const deadline = coarseTimeout(bounds.timeoutMs, () => {
      request.body?.cancel().catch(() => {});
      resolve("late");
    });
    // Settled either way, the deadline goes in the same step (not a `finally`: a promise more).
    request.arrayBuffer().then(
      (read) => {
        deadline.cancel();
        // The runtime stops at the declared length; more would be a broken request.
        resolve(read.byteLength > bounds.maxBytes ? "too large" : new Uint8Array(read));
      },
      () => {
        deadline.cancel();
        resolve("broken");
      },
    );
  });
}
