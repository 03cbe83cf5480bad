/**
 * dnsperf on the load generator's CPU over UDP, bounded in passes through its query file and
 * in seconds. dnsperf prints only the mean latency, so `-v` lists every answer with its own.
 */
import type { LoadResult } from "./load_round.ts";

export interface DnsperfOptions {
  port: number;
  queryFile: string;
  seconds: number;
  /** Passes through the query file (dnsperf -n); unbounded by default. */
  passes?: number;
  /** Queries outstanding at once (dnsperf -q). */
  outstanding: number;
  cpu?: number;
  /** Sockets, each its own source port (dnsperf -c); 4 by default. */
  clients?: number;
}

export async function dnsperf(options: DnsperfOptions): Promise<LoadResult> {
  const output = await new Deno.Command("taskset", {
    args: [
      ...["-c", String(options.cpu ?? 1), "dnsperf", "-v", "-s", "127.0.0.1"],
      ...["-p", String(options.port), "-d", options.queryFile, "-c", String(options.clients ?? 4)],
      ...["-l", String(options.seconds), "-q", String(options.outstanding)],
      ...(options.passes === undefined ? [] : ["-n", String(options.passes)]),
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout((options.seconds + 30) * 1000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const qps = /Queries per second:\s+([\d.]+)/.exec(text);
  const completed = /Queries completed:\s+(\d+)/.exec(text);
  const lost = /Queries lost:\s+(\d+)/.exec(text);
  if (!qps || !completed || !lost) {
    throw new Error(
      `dnsperf output not understood:\n${text.slice(-2000)}\n${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  // "> NOERROR name type 0.000123": one line per answer, its latency in seconds last.
  const latencies: number[] = [];
  for (const match of text.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) {
    latencies.push(Number(match[1]) * 1000);
  }
  return {
    qps: Number(qps[1]),
    latenciesMs: Float64Array.from(latencies),
    failed: Number(lost[1]),
    answered: Number(completed[1]),
  };
}
