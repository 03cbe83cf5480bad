/**
 * What a benchmark reads of a process from Linux /proc: its CPU time (user + system, all its
 * threads) and resident memory, and the machine's load average. On a shared 2-core machine
 * throughput swings with whatever else runs; CPU per query moves much less, and the load
 * average says when a run was disturbed.
 */
import { residentMemory } from "../tests/support/process_memory.ts";

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** User + system CPU time of a process so far, µs (NaN where /proc cannot tell). */
export async function cpuMicros(pid: number): Promise<number> {
  try {
    const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
    return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process, bytes (NaN where /proc cannot tell). */
export async function rssBytes(pid: number): Promise<number> {
  return (await residentMemory(pid)).rss;
}

/** The 1-minute load average (NaN where /proc cannot tell). */
export async function loadAverage(): Promise<number> {
  try {
    return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** Pins every thread of a running process to one CPU (dnsdist starts its threads itself). */
export async function pinProcess(pid: number, cpu: number): Promise<void> {
  const output = await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", String(cpu), String(pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`taskset -p ${pid}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

/** The processes `pid` started and that still run (every thread's children), as /proc lists them. */
export async function childPids(pid: number): Promise<number[]> {
  const children: number[] = [];
  try {
    for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
      const listed = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/children`);
      for (const child of listed.trim().split(/\s+/)) {
        if (child !== "") children.push(Number(child));
      }
    }
  } catch {
    // gone, or no /proc: none known
  }
  return children;
}

/**
 * CPU time of this process's threads so far, µs, in three groups: the main thread (where
 * answers are made), the web workers (Deno names their threads `worker-N`), and the rest (the
 * engine's helper threads, the I/O runtime).
 */
export function threadCpuMicros(): { main: number; workers: number; other: number } {
  const times = { main: 0, workers: 0, other: 0 };
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const micros = (Number(fields[11]) + Number(fields[12])) * 1e6 / CLOCK_TICKS;
      if (Number(task.name) === Deno.pid) times.main += micros;
      else if (comm.startsWith("worker-")) times.workers += micros;
      else times.other += micros;
    } catch {
      // the thread ended meanwhile
    }
  }
  return times;
}
