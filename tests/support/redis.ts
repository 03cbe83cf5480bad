/**
 * A real redis-server on a free loopback port, no persistence, for store and e2e tests. It can
 * be paused (SIGSTOP: a Redis that hangs, with its connections still open) and stopped and
 * started again on the same port (a Redis that goes away and comes back, empty).
 */
import { requireBinary } from "./binaries.ts";
import { type PeerProcess, spawnPeer } from "./peer_process.ts";
import { freePort } from "./ports.ts";

export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server and waits for it; idempotent. `start` brings it back. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`); resolves once it answers PING. */
  start(): Promise<void>;
  /** `stop` then `start`. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  pause(): void;
  /** SIGCONT after `pause`; harmless otherwise. */
  resume(): void;
}

const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

export async function startRedis(): Promise<RedisServer> {
  requireBinary("redis-server");
  let lastError: unknown;
  // The port from freePort() may be taken by someone else before redis binds it: retry.
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const server = redisOn(freePort());
    try {
      await server.start();
      return server;
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  throw lastError;
}

function redisOn(port: number): RedisServer {
  let peer: PeerProcess | undefined;
  let paused = false;
  const signal = (name: Deno.Signal) => {
    if (peer && !peer.exited()) Deno.kill(peer.pid, name);
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      if (peer) throw new Error(`redis-server on port ${port} is already running`);
      const dir = await Deno.makeTempDir({ prefix: "redis-test-" });
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
      args.push("--appendonly", "no", "--dir", dir);
      const started = spawnPeer("redis-server", args, dir);
      peer = started;
      await waitForPong(port, started);
    },
    async stop() {
      const stopping = peer;
      peer = undefined;
      paused = false;
      await stopping?.stop();
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    pause() {
      signal("SIGSTOP");
      paused = true;
    },
    resume() {
      if (paused) signal("SIGCONT");
      paused = false;
    },
  };
  return server;
}

async function waitForPong(port: number, peer: PeerProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const ping = new TextEncoder().encode("PING\r\n");
  while (true) {
    if (peer.exited()) throw new Error(`redis-server exited:\n${peer.log()}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(ping);
        const buffer = new Uint8Array(16);
        const count = await conn.read(buffer);
        const reply = new TextDecoder().decode(buffer.subarray(0, count ?? 0));
        if (reply.startsWith("+PONG")) return;
      } finally {
        conn.close();
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING:\n${peer.log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
