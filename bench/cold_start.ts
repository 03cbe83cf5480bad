/**
 * Cold start to first answer: from spawning the process to the first HTTP 200 on /dns-query,
 * polled every 2 ms over plain HTTP. The gateway with a 1,000,000-domain blocklist configured
 * (lists load in the background, so they should not delay the door) against a bare Deno.serve
 * (bench/floor_doh.ts), both pinned to CPU 0.
 */
import { CACHED_NAME, dohGetPath } from "./bench_zone.ts";
import { freePort } from "../tests/support/ports.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Milliseconds from spawn to the first 200 of `deno run <args>` listening on PORT/HTTP_PORT. */
export async function coldStart(args: string[], env: Record<string, string>): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command("taskset", {
    args: ["-c", "0", Deno.execPath(), "run", ...args],
    cwd: ROOT,
    env: { ...env, PORT: String(port), HTTP_PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}${dohGetPath(CACHED_NAME)}`;
  try {
    const deadline = started + 30_000;
    while (performance.now() < deadline) {
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error(`no answer within 30 s from deno run ${args.join(" ")}`);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/** The gateway as `deno task start` runs it, with `env`. */
export const GATEWAY_ARGS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-ffi",
  "main.ts",
];

/** The bare Deno server with a fixed answer. */
export const FLOOR_ARGS = ["--allow-net", "--allow-read", "--allow-env", "bench/floor_doh.ts"];
