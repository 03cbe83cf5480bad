/**
 * One h2load run and what the DoH benchmarks read from its report: requests per second, the
 * mean time per request, and how many requests failed.
 */

export interface Round {
  rps: number;
  meanMs: number;
  failed: number;
}

/** Runs h2load with `args`, pinned to `cpu` when given; throws when its report is not understood. */
export async function h2load(args: string[], cpu?: number): Promise<Round> {
  const pinned = cpu !== undefined;
  const output = await new Deno.Command(pinned ? "taskset" : "h2load", {
    args: pinned ? ["-c", String(cpu), "h2load", ...args] : args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const rps = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(text);
  const failed = /requests: .* (\d+) failed, (\d+) errored/.exec(text);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(text);
  if (!rps || !failed || !mean) {
    throw new Error(
      `h2load output not understood:\n${text}\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const unit = { us: 0.001, ms: 1, s: 1000 }[mean[2] as "us" | "ms" | "s"];
  return {
    rps: Number(rps[1]),
    meanMs: Number(mean[1]) * unit,
    failed: Number(failed[1]) + Number(failed[2]),
  };
}
