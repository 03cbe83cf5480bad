/**
 * TCP_NODELAY on a listening socket, which every connection it accepts inherits (Linux).
 * Deno.serve and Deno.listenTls offer no way to set it on accepted sockets, and without it the
 * first answer on a fresh TLS connection often waits behind the session tickets for the
 * client's delayed ACK: Nagle's algorithm, ~40 ms on about a third of new connections
 * (`deno task bench:all`, fresh connections: 14 of 40 before, 0 after).
 *
 * Done through libc's setsockopt over FFI, on the socket found by its inode in /proc, so only
 * where that exists and --allow-ffi is granted; anywhere else (Deno Deploy, macOS, no
 * permission) it is skipped and the reason returned, for the startup lines.
 */

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
/** /proc/net/tcp state of a listening socket. */
const LISTEN = "0A";

/** Sets TCP_NODELAY on this process's listening TCP socket(s) on `port`; "on" or why not. */
export function noDelayOnListener(port: number): string {
  if (Deno.build.os !== "linux") return "off (Linux only)";
  if (Deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") {
    return "off (needs --allow-ffi)";
  }
  try {
    const inodes = listeningInodes(port);
    const libc = Deno.dlopen("libc.so.6", {
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    });
    let set = 0;
    try {
      const on = new Int32Array([1]);
      for (const entry of Deno.readDirSync("/proc/self/fd")) {
        const inode = socketInode(`/proc/self/fd/${entry.name}`);
        if (inode === undefined || !inodes.has(inode)) continue;
        if (libc.symbols.setsockopt(Number(entry.name), IPPROTO_TCP, TCP_NODELAY, on, 4) === 0) {
          set++;
        }
      }
    } finally {
      libc.close();
    }
    return set > 0 ? "on" : "off (listening socket not found)";
  } catch (error) {
    return `off (${error instanceof Error ? error.message.split("\n", 1)[0] : error})`;
  }
}

/** Inodes of listening sockets on `port`, from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(suffix) && fields[3] === LISTEN) inodes.add(fields[9]);
    }
  }
  return inodes;
}

function socketInode(fdPath: string): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(fdPath))?.[1];
  } catch {
    return undefined;
  }
}
