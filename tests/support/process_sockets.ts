/**
 * What a child process holds open, read from /proc (Linux): how e2e tests see that a door or
 * an upstream transport gives its sockets back.
 */

/** How many open descriptors of process `pid` are sockets. */
export function socketCount(pid: number): number {
  let count = 0;
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).startsWith("socket:")) count++;
    } catch {
      // closed while we looked
    }
  }
  return count;
}

/** Waits until `ready` holds for the count of sockets of `pid`, at most `ms`; the last count. */
export async function socketsSettle(
  pid: number,
  ready: (count: number) => boolean,
  ms: number,
): Promise<number> {
  const deadline = Date.now() + ms;
  let count = socketCount(pid);
  while (!ready(count) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = socketCount(pid);
  }
  return count;
}

/**
 * For a process that counts its own descriptors: has the runtime open the socket pair of its
 * signal handling now, which it otherwise opens by itself about half a second after start (or
 * at the first signal listener), so that a count taken before it and one taken after agree.
 */
export function openSignalDescriptors(): void {
  const nothing = () => {};
  Deno.addSignalListener("SIGURG", nothing);
  Deno.removeSignalListener("SIGURG", nothing);
}
