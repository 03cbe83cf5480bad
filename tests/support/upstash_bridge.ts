/**
 * An Upstash-REST-compatible HTTP front for a real Redis, so the @upstash/redis client is
 * tested against real Redis semantics without Upstash's cloud (the one thing mocked):
 * - `POST /` with a JSON command array → `{result}`, or `{error}` with status 400;
 * - `POST /pipeline` with an array of commands → an array of `{result}` / `{error}`;
 * - `POST /multi-exec` the same, run atomically (MULTI/EXEC);
 * - `Authorization: Bearer <token>`, 401 `{error: "Unauthorized"}` otherwise;
 * - `Upstash-Encoding: base64` (what the client asks for by default): every string in a
 *   result is the base64 of its bytes, except the status reply "OK".
 * Replies are read as bytes (ioredis `callBuffer`), so binary values come back exactly.
 */
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";

export interface UpstashBridge {
  url: string;
  token: string;
  close(): Promise<void>;
}

/** How long ioredis waits for its socket to close after `disconnect` before destroying it. */
const DISCONNECT_TIMEOUT_MS = 20;

type Command = (string | number | boolean)[];
type Reply = { result: unknown } | { error: string };

export function startUpstashBridge(redisUrl: string): UpstashBridge {
  const token = crypto.randomUUID();
  const redis = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  });
  redis.on("error", () => {
    // Reported to the HTTP client as {error}.
  });
  // Upstash is always up: requests made before the first connection wait for it (or for it
  // to fail), instead of failing at once for want of an offline queue.
  const connected = new Promise<void>((resolve) => {
    redis.once("ready", resolve);
    redis.once("error", resolve);
  });

  const single = async ([name, ...args]: string[], base64: boolean): Promise<Reply> => {
    try {
      return { result: encode(await redis.callBuffer(name, ...args), base64) };
    } catch (error) {
      return { error: message(error) };
    }
  };

  const pipeline = async (commands: string[][], base64: boolean): Promise<Reply[]> => {
    const replies = [];
    for (const command of commands) replies.push(await single(command, base64));
    return replies;
  };

  const multiExec = async (commands: string[][], base64: boolean): Promise<Reply[]> => {
    const transaction = redis.multi();
    for (const [name, ...args] of commands) transaction.callBuffer(name, ...args);
    const results = await transaction.exec();
    if (results === null) throw new Error("EXECABORT transaction discarded");
    return results.map(([error, result]) =>
      error ? { error: message(error) } : { result: encode(result, base64) }
    );
  };

  const handle = async (request: Request): Promise<Response> => {
    if (request.headers.get("authorization") !== `Bearer ${token}`) {
      return Response.json({ error: "Unauthorized" }, { status: 401 });
    }
    await connected;
    const base64 = request.headers.get("upstash-encoding") === "base64";
    const path = new URL(request.url).pathname;
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return Response.json({ error: "ERR failed to parse command" }, { status: 400 });
    }
    try {
      if (path === "/") {
        const reply = await single(strings(body), base64);
        return Response.json(reply, { status: "error" in reply ? 400 : 200 });
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(body) || body.length === 0) throw new Error("ERR empty pipeline");
        const commands = body.map(strings);
        const run = path === "/pipeline" ? pipeline : multiExec;
        return Response.json(await run(commands, base64));
      }
      return Response.json({ error: `ERR unknown path ${path}` }, { status: 404 });
    } catch (error) {
      return Response.json({ error: message(error) }, { status: 400 });
    }
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handle);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    close: async () => {
      await server.shutdown();
      redis.disconnect();
      // ioredis gives the socket this long to close, by a timer that nothing clears when the
      // socket was closed already (Redis went away first): the bridge is closed once it is out.
      await new Promise((resolve) => setTimeout(resolve, DISCONNECT_TIMEOUT_MS));
    },
  };
}

/** A command as Redis arguments: the client sends numbers (EX 60) as JSON numbers. */
function strings(command: unknown): string[] {
  if (!Array.isArray(command) || command.length === 0) {
    throw new Error("ERR a command is a non-empty JSON array");
  }
  return (command as Command).map(String);
}

/** A reply as Upstash puts it in JSON: bytes as base64 (or UTF-8 text without the header). */
function encode(value: unknown, base64: boolean): unknown {
  if (value instanceof Uint8Array) {
    const text = new TextDecoder().decode(value);
    if (!base64 || text === "OK") return text;
    return Buffer.from(value).toString("base64");
  }
  if (Array.isArray(value)) return value.map((item) => encode(item, base64));
  // ioredis turns HGETALL's flat reply into an object; Upstash sends it flat: field, value, …
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([field, item]) => [
      encode(new TextEncoder().encode(field), base64),
      encode(item, base64),
    ]);
  }
  return value;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
