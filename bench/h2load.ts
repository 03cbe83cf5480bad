/**
 * h2load (nghttp2) on the load generator's CPU, bounded in requests and time. h2load prints
 * only mean latencies, so every request's own latency is taken from its `--log-file`.
 */
import type { LoadResult } from "./load_round.ts";

/**
 * Runs `taskset -c <cpu> h2load <args>` (plain `h2load` when `cpu` is null: free to use any
 * core) and reads its summary and per-request log.
 */
export async function h2load(args: string[], cpu: number | null = 1): Promise<LoadResult> {
  const logFile = await Deno.makeTempFile({ prefix: "h2load-", suffix: ".log" });
  const command = ["h2load", "--log-file", logFile, ...args];
  try {
    const output = await new Deno.Command(cpu === null ? command[0] : "taskset", {
      args: cpu === null ? command.slice(1) : ["-c", String(cpu), ...command],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(text);
    const counts = /requests: .* (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(text);
    if (!rps || !counts) {
      throw new Error(
        `h2load output not understood:\n${text}\n${new TextDecoder().decode(output.stderr)}`,
      );
    }
    // Each line: start time (µs), status code, response time (µs).
    const lines = (await Deno.readTextFile(logFile)).split("\n");
    const latencies = new Float64Array(lines.length);
    let n = 0;
    for (const line of lines) {
      const fields = line.split("\t");
      if (fields.length >= 3 && fields[1] === "200") latencies[n++] = Number(fields[2]) / 1000;
    }
    return {
      qps: Number(rps[1]),
      latenciesMs: latencies.subarray(0, n),
      failed: Number(counts[2]) + Number(counts[3]),
      answered: Number(counts[1]),
    };
  } finally {
    await Deno.remove(logFile).catch(() => {});
  }
}
