/**
 * One measured round of a load generator against one server: throughput, latency percentiles
 * from every answer's own latency, failures, and the server's CPU time per query.
 */
import { cpuMicros } from "./proc.ts";

export interface Round {
  qps: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that failed, errored or were lost. */
  failed: number;
  /** Server CPU time per answered query, µs (NaN where /proc cannot tell). */
  cpuUs: number;
}

/** A run of the load generator: what it saw, and how many queries were answered. */
export interface LoadResult {
  qps: number;
  latenciesMs: Float64Array;
  failed: number;
  answered: number;
}

/** Runs `load` while reading the CPU time of `pid` before and after. */
export async function measured(pid: number, load: () => Promise<LoadResult>): Promise<Round> {
  const before = await cpuMicros(pid);
  const result = await load();
  const cpu = await cpuMicros(pid) - before;
  const sorted = result.latenciesMs.sort();
  return {
    qps: result.qps,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    failed: result.failed,
    cpuUs: cpu / Math.max(1, result.answered),
  };
}

/** The value below which `share` of the sorted values lie (NaN for none). */
export function percentile(sorted: Float64Array, share: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
