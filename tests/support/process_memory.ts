/**
 * A process's resident memory as Linux /proc tells it: all of it (VmRSS), its anonymous part
 * (heap, buffers: what the process itself allocated) and its file-backed part (the runtime's
 * own code pages, shared with every process running the same binary and paged in as code
 * first runs), and its proportional share (PSS: a page shared by k processes counts 1/k).
 */
export interface ResidentMemory {
  rss: number;
  anon: number;
  file: number;
  pss: number;
}

/** Bytes resident in `pid` (NaN each where /proc cannot tell). */
export async function residentMemory(pid: number): Promise<ResidentMemory> {
  const status = await readOrEmpty(`/proc/${pid}/status`);
  const rollup = await readOrEmpty(`/proc/${pid}/smaps_rollup`);
  return {
    rss: kibField(status, "VmRSS"),
    anon: kibField(status, "RssAnon"),
    file: kibField(status, "RssFile"),
    pss: kibField(rollup, "Pss"),
  };
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return ""; // gone, or no /proc
  }
}

/** A `Name:   123 kB` line of /proc, in bytes. */
function kibField(text: string, name: string): number {
  const kib = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
  return kib ? Number(kib[1]) * 1024 : NaN;
}
