/**
 * An Upstash-REST-compatible HTTP front for a real Redis, so the @upstash/redis client is
 * tested against real Redis semantics without Upstash's cloud (the one thing mocked): `POST /`
 * with a JSON command array, `/pipeline` and `/multi-exec` with arrays of them, bearer-token
 * auth, `{result}`/`{error}` replies, and the base64 response encoding the client asks for
 * with `Upstash-Encoding: base64`.
 */
import { Redis } from "ioredis";

export interface UpstashBridge {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Command = (string | number)[];

export function startUpstashBridge(redisUrl: string): UpstashBridge {
  const token = crypto.randomUUID();
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});

  const run = async (command: Command, base64: boolean) => {
    try {
      const [name, ...args] = command.map(String);
      const result = await redis.call(name, ...args);
      return { result: base64 ? encode(result) : result };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      if (request.headers.get("authorization") !== `Bearer ${token}`) {
        return Response.json({ error: "Unauthorized" }, { status: 401 });
      }
      const base64 = request.headers.get("upstash-encoding") === "base64";
      const path = new URL(request.url).pathname;
      const body = await request.json();
      if (path === "/" || path === "") {
        const reply = await run(body as Command, base64);
        return Response.json(reply, { status: "error" in reply ? 400 : 200 });
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        const replies = [];
        for (const command of body as Command[]) replies.push(await run(command, base64));
        return Response.json(replies);
      }
      return Response.json({ error: `unknown path ${path}` }, { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    close: async () => {
      await server.shutdown();
      redis.disconnect();
    },
  };
}

/** Upstash's base64 response encoding: every string (not "OK") as base64 of its UTF-8 bytes. */
function encode(value: unknown): unknown {
  if (typeof value === "string") {
    return value === "OK" ? value : new TextEncoder().encode(value).toBase64();
  }
  if (Array.isArray(value)) return value.map(encode);
  return value;
}
