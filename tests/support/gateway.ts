/**
 * Starts the real gateway (`deno run main.ts`) as a child process on a free port, the way a
 * user would, and stops it after. e2e tests talk to it with real clients.
 */
import { runToEnd } from "./tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi"];

/**
 * What every test gateway starts with unless the test says otherwise: any free port, and no
 * blocklists (the defaults are on the internet, which tests never touch) nor disk copies: no
 * history file either (HISTORY=off), unless the test gives it a DATA_DIR of its own.
 */
const QUIET_DEFAULTS = {
  // As `deno task start` has it: no look for a newer Deno on the internet.
  DENO_NO_UPDATE_CHECK: "1",
  HTTP_PORT: "0",
  BLOCKLIST_URLS: "",
  BLOCKLIST_DIR: "off",
  HISTORY: "off",
};

export interface Gateway {
  /** Base URL of the HTTP door, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** The gateway's process id (taskset execs deno, so it is the same when pinned). */
  pid: number;
  /** Everything the process printed to stdout so far (the JSON-lines query log). */
  stdout(): string;
  /** Everything printed to stderr so far (startup lines, errors). */
  stderr(): string;
  /** Waits (up to 2 s) until stdout matches `done`: the query log is written in batches. */
  waitForStdout(done: RegExp | ((stdout: string) => boolean)): Promise<string>;
  /** Sends SIGTERM and waits for exit; returns the exit code. */
  stop(): Promise<number>;
}

export interface GatewayOptions {
  env: Record<string, string>;
  /**
   * Run as Deno Deploy would: no unstable APIs (so no UDP), only the project's imports, no
   * permission to write files.
   */
  deployLike?: boolean;
  /** Pin the process to this CPU (benchmarks: server and load generator on separate cores). */
  cpu?: number;
  /** Where the query log goes: collected by default, discarded for load tests. */
  stdout?: "piped" | "null";
  /** Milliseconds to wait for the listening line. */
  startTimeoutMs?: number;
  /** Permission flags beyond the four of `deno task start` (e.g. --allow-run for WORKERS). */
  permissions?: string[];
  /** Start under this file-descriptor limit, soft and hard (prlimit, which execs deno). */
  nofile?: number;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const deployConfig = options.deployLike ? await deployLikeConfig() : undefined;
  const configArgs = deployConfig ? ["--config", deployConfig, "--lock", `${ROOT}deno.lock`] : [];
  // Deno Deploy has a read-only file system and no FFI: a deploy-like gateway gets neither.
  const permissions = options.deployLike
    ? PERMISSIONS.filter((p) => p !== "--allow-write" && p !== "--allow-ffi")
    : [...PERMISSIONS, ...(options.permissions ?? [])];
  const denoArgs = ["run", ...configArgs, ...permissions, "main.ts"];
  // Wrappers that exec deno, so the child's pid stays the gateway's.
  const command = [
    ...(options.cpu !== undefined ? ["taskset", "-c", String(options.cpu)] : []),
    ...(options.nofile !== undefined
      ? ["prlimit", `--nofile=${options.nofile}:${options.nofile}`]
      : []),
    Deno.execPath(),
    ...denoArgs,
  ];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd: ROOT,
    env: { ...QUIET_DEFAULTS, ...options.env },
    stdin: "null",
    stdout: options.stdout ?? "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const decoder = () => new TextDecoderStream();
  const outDone = options.stdout === "null"
    ? Promise.resolve()
    : child.stdout.pipeThrough(decoder())
      .pipeTo(new WritableStream({ write: (chunk) => void (out += chunk) }));
  const errDone = child.stderr.pipeThrough(decoder()).pipeTo(
    new WritableStream({ write: (chunk) => void (err += chunk) }),
  );
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const { code } = await status;
    await Promise.all([outDone, errDone]);
    if (deployConfig) await Deno.remove(deployConfig).catch(() => {});
    return code;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (true) {
    const match = /listening on (https?):\/\/[^:]+:(\d+)\//.exec(err);
    if (match) {
      const port = Number(match[2]);
      return {
        url: `${match[1]}://127.0.0.1:${port}`,
        port,
        pid: child.pid,
        stdout: () => out,
        stderr: () => err,
        waitForStdout: async (done) => {
          const test = done instanceof RegExp ? (text: string) => done.test(text) : done;
          const deadline = Date.now() + 2000;
          while (!test(out) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          return out;
        },
        stop,
      };
    }
    if (exited || Date.now() > deadline) {
      const code = await stop();
      throw new Error(`gateway did not start (exit ${code}):\n${err}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The status of the gateway's GET /health, its body cancelled: an unread body is a leak. */
export async function healthStatus(gateway: Gateway): Promise<number> {
  const response = await fetch(`${gateway.url}/health`);
  await response.body?.cancel();
  return response.status;
}

/**
 * Runs the gateway to completion (for startup errors); returns exit code and output. `config`:
 * a deno.json of the test's own, used with the project's lockfile.
 */
export function runGateway(
  env: Record<string, string>,
  config?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runProgram("main.ts", [], env, config);
}

/**
 * Runs one of the project's programs (`main.ts`, `blocklist/cli.ts`) to its end, as `deno task`
 * would, with no lists or disk copies unless `env` says otherwise.
 */
export async function runProgram(
  program: string,
  args: string[],
  env: Record<string, string>,
  config?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const configArgs = config ? ["--config", config, "--lock", `${ROOT}deno.lock`] : [];
  const { code, stdout, stderr } = await runToEnd(
    Deno.execPath(),
    ["run", ...configArgs, ...PERMISSIONS, program, ...args],
    {
      cwd: ROOT,
      env: { BLOCKLIST_URLS: "", BLOCKLIST_DIR: "off", HISTORY: "off", ...env },
      signal: AbortSignal.timeout(20_000),
    },
  );
  return { code, stdout, stderr };
}

/**
 * A copy of deno.json without `unstable` (Deno Deploy takes no unstable flags, so
 * `Deno.listenDatagram` does not exist there), used with the project's lockfile.
 */
async function deployLikeConfig(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const path = await Deno.makeTempFile({ prefix: "deploy-like-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ imports: config.imports }));
  return path;
}
