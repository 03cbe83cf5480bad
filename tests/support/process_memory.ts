/**
 * A process's resident memory as Linux /proc tells it: all of it (VmRSS), its anonymous part
 * (heap, buffers: what the process itself allocated) and its file-backed part (the runtime's
 * own code pages, shared with every process running the same binary and paged in as code
 * first runs).
 */
export interface ResidentMemory {
  rss: number;
  anon: number;
  file: number;
}

/** Bytes resident in `pid` (NaN each where /proc cannot tell). */
export async function residentMemory(pid: number): Promise<ResidentMemory> {
  let status = "";
  try {
    status = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    // gone, or no /proc
  }
  const field = (name: string) => {
    const kib = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
    return kib ? Number(kib[1]) * 1024 : NaN;
  };
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}
