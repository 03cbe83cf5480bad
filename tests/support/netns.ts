/**
 * Runs a Deno script in a network namespace of its own, where the only interface is loopback:
 * whatever the script starts there (a DNS server, the gateway, a browser) can reach nothing
 * but each other, so a name that resolves there resolved through them and nothing leaked.
 * A PID namespace too, so a killed run takes every process it started with it.
 */
import { requireBinary } from "./binaries.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TIMEOUT_MS = 60_000;

/**
 * Runs `script` (a path under the project) with `args` inside the namespaces and returns
 * the last line it printed, parsed as JSON; throws with its stderr when it fails.
 */
export async function runInNetns<T>(script: string, args: string[] = []): Promise<T> {
  requireBinary("unshare");
  requireBinary("ip");
  const deno = Deno.execPath();
  // Nothing can be downloaded in there: have every module in the cache before going in.
  await run(deno, ["cache", "--quiet", "main.ts", script]);
  const output = await run("unshare", [
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
    // As root the namespaces are the machine's to make; otherwise a user namespace grants it.
    ...(Deno.uid() === 0 ? [] : ["--map-root-user"]),
    "sh",
    "-c",
    'ip link set lo up && "$@"',
    "sh",
    deno,
    "run",
    "--allow-all",
    script,
    ...args,
  ]);
  const last = output.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as T;
}

async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "null",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).output();
  const text = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${output.code}):\n${text.decode(output.stderr)}`,
    );
  }
  return text.decode(output.stdout);
}
