/**
 * A real redis-server on a free loopback port, no persistence, for store and e2e tests; it
 * can be paused (SIGSTOP: a Redis that hangs) and stopped and started again on the same port
 * (a Redis that goes away and comes back).
 */
import { requireBinary } from "./binaries.ts";
import { type PeerProcess, spawnPeer } from "./peer_process.ts";
import { freePort } from "./ports.ts";

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (it can be started again with `start`). */
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
}

const START_TIMEOUT_MS = 10_000;

export async function startRedis(): Promise<RedisServer> {
  requireBinary("redis-server");
  const port = freePort();
  let peer: PeerProcess | undefined;
  let pid = 0;
  const start = async () => {
    const dir = await Deno.makeTempDir({ prefix: "redis-test-" });
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ];
    peer = spawnPeer("redis-server", args, dir);
    pid = peer.pid;
    await waitForPong(port, () => peer!.exited(), () => peer!.log());
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      await peer?.stop();
      peer = undefined;
    },
    pause: () => Deno.kill(pid, "SIGSTOP"),
    resume: () => Deno.kill(pid, "SIGCONT"),
  };
}

async function waitForPong(port: number, exited: () => boolean, log: () => string) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const ping = new TextEncoder().encode("PING\r\n");
  while (true) {
    if (exited()) throw new Error(`redis-server exited:\n${log()}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(ping);
        const buffer = new Uint8Array(16);
        const count = await conn.read(buffer);
        if (count && new TextDecoder().decode(buffer.subarray(0, count)).startsWith("+PONG")) {
          return;
        }
      } finally {
        conn.close();
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
