/**
 * WORKERS: several gateway processes on the same HTTP, TCP and DoT ports (SO_REUSEPORT: the
 * kernel spreads connections over them), so answers use more than the one core a process runs
 * JavaScript on. The process started first is worker 1: it starts the others -- the same
 * program with the same permissions and settings, GATEWAY_WORKER set to their number -- passes
 * their stderr on with their number in front, and stops them when it stops. A worker whose
 * first worker went away sees its stdin close and stops too, so none is left behind.
 */
import { ConfigError } from "../config.ts";
import { udpAvailable } from "../runtime/platform.ts";

/** Set in the environment of the workers the first one starts: their number, 2...N. */
export const WORKER_VARIABLE = "GATEWAY_WORKER";

export interface WorkerGroup {
  /** Resolves once every worker has said it listens; rejects if one exits before. */
  ready: Promise<void>;
  /** SIGTERM to every worker (each answers what it holds, as on any stop); waits for all. */
  stop(): Promise<void>;
}

/** This process's number among the workers: 1 for the first, or only, one. */
export function workerNumber(): number {
  return Number(Deno.env.get(WORKER_VARIABLE) ?? "1");
}

/**
 * Starts workers 2...`count`, with `env` added to their environment; `onExit` hears of one that
 * exits while not asked to. Without the permission to run Deno itself, a one-line ConfigError
 * says which flag to add: the path of the binary, since a grant for a link to it (the bin/deno
 * that npm makes) does not match.
 */
export function startWorkers(
  count: number,
  onExit: (line: string) => void,
  env: Record<string, string> = {},
): WorkerGroup {
  const [command, ...args] = workerCommand();
  if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") {
    throw new ConfigError(
      `WORKERS="${count}": the first worker starts the others, which needs ` +
        `--allow-run=${command} (Deno itself; a link to it does not count), ` +
        "as `deno task start:workers` grants",
    );
  }
  let stopping = false;
  const workers = Array.from({ length: count - 1 }, (_, i) => {
    const number = i + 2;
    const child = new Deno.Command(command, {
      args,
      env: { ...env, [WORKER_VARIABLE]: String(number) },
      // Never written: it closes when this process goes, however it goes.
      stdin: "piped",
      stdout: "inherit",
      stderr: "piped",
    }).spawn();
    const listening = passStderrOn(child.stderr, `worker ${number}: `);
    const status = child.status.then(({ code }) => {
      if (!stopping) onExit(`worker ${number} exited with code ${code}`);
      return code;
    });
    const ready = Promise.race([
      listening,
      status.then((code) => Promise.reject(new Error(`worker ${number} exited with code ${code}`))),
    ]);
    return { child, status, ready };
  });
  return {
    ready: Promise.all(workers.map((worker) => worker.ready)).then(() => {}),
    async stop() {
      stopping = true;
      for (const { child } of workers) {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
      }
      await Promise.all(workers.map((worker) => worker.status));
    },
  };
}

/** In workers 2...N: calls `stop` once the first worker is gone (stdin reaches its end). */
export function stopWithFirstWorker(stop: () => void): void {
  void (async () => {
    for await (const _ of Deno.stdin.readable) { /* nothing is ever sent */ }
  })().catch(() => {}).finally(stop);
}

/**
 * Copies a worker's stderr to ours line by line, each with `prefix`; resolves at the line that
 * says the HTTP door listens (the last of a worker's startup lines).
 */
function passStderrOn(stderr: ReadableStream<Uint8Array>, prefix: string): Promise<void> {
  return new Promise((resolve) => {
    void (async () => {
      let rest = "";
      for await (const chunk of stderr.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          console.error(prefix + line);
          if (line.startsWith("DoH listening on ")) resolve();
        }
      }
      if (rest !== "") console.error(prefix + rest);
    })().catch(() => {});
  });
}

const PERMISSIONS: Deno.PermissionName[] = ["net", "env", "read", "write", "sys", "run", "ffi"];

/**
 * `deno run` of the same main module with the permissions this process has in full. A
 * permission granted for some paths or hosts only (`--allow-read=/etc/gw`) is not passed on.
 */
function workerCommand(): string[] {
  const allowed = PERMISSIONS.filter((name) => {
    try {
      return Deno.permissions.querySync({ name }).state === "granted";
    } catch {
      return false;
    }
  });
  return [
    Deno.execPath(),
    "run",
    ...allowed.map((name) => `--allow-${name}`),
    ...(udpAvailable() ? ["--unstable-net"] : []),
    Deno.mainModule,
  ];
}
