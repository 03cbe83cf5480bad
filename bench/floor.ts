/**
 * What the floor benchmarks share: the floor process (a bare Deno server with a fixed answer)
 * pinned to the gateway's CPU and started once it says it listens, the rounds, and the results
 * table written to bench/results/.
 */
const ROOT = new URL("../", import.meta.url).pathname;

/** Rounds each case is measured; the median is reported. */
export const ROUNDS = 3;

export interface Floor {
  /** The floor's process id (taskset execs deno), for its CPU time. */
  pid: number;
  stop(): Promise<void>;
}

/** Runs bench/`script` on CPU 0 with `flags` and `env`; resolves once it prints "listening". */
export async function startFloor(
  script: string,
  flags: string[],
  env: Record<string, string>,
): Promise<Floor> {
  const floor = new Deno.Command("taskset", {
    args: ["-c", "0", Deno.execPath(), "run", ...flags, `${ROOT}bench/${script}`],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const ready = floor.stderr.pipeThrough(new TextDecoderStream()).getReader();
  for (let seen = ""; !seen.includes("listening");) seen += (await ready.read()).value ?? "";
  return {
    pid: floor.pid,
    async stop() {
      floor.kill("SIGKILL");
      await floor.status;
      await ready.cancel().catch(() => {});
    },
  };
}

/** Prints the table and writes it to bench/results/`name`. */
export async function saveResults(name: string, table: string): Promise<void> {
  console.log(table);
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  await Deno.writeTextFile(`${ROOT}bench/results/${name}`, table);
}
