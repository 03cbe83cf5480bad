/**
 * An exclusive lock on a file between processes (flock(2) over FFI). The kernel drops it when
 * its holder ends, however it ends (SIGKILL included), so a builder that died never leaves a
 * lock that others must wait out or guess to be stale. Linux with --allow-ffi only, as the
 * mappings it guards (runtime/mapped_file.ts).
 */
import { openLibcSymbols } from "./libc_sockets.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const O_RDONLY = 0;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const LOCK_EX = 2;
const LOCK_NB = 4;

let calls: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | string | undefined;

/** Why locks cannot be taken here (no FFI, not Linux), or undefined: the C library is open. */
export function lockingUnavailable(): string | undefined {
  calls ??= openLibcSymbols(SYMBOLS);
  return typeof calls === "string" ? calls : undefined;
}

/** A lock held: `release` gives it up (once; later calls do nothing). */
export interface FileLock {
  release(): void;
}

/**
 * Takes the lock on `path` (made when missing, never removed here) without waiting: the lock,
 * "held" while another holds it (another process, or another lock of this one), or why it
 * cannot be taken (no FFI, a read-only or full file system).
 */
export async function tryLockFile(path: string): Promise<FileLock | "held" | string> {
  const unavailable = lockingUnavailable();
  if (unavailable !== undefined) return unavailable;
  const libc = calls as Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
  try {
    (await Deno.open(path, { create: true, write: true })).close();
  } catch (error) {
    return error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
  }
  const fd = libc.open(new TextEncoder().encode(`${path}\0`), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "cannot open the lock file";
  if (libc.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    libc.close(fd);
    return "held";
  }
  let open = true;
  return {
    release() {
      // Once: a second close could close a descriptor opened since under the same number.
      if (open) libc.close(fd);
      open = false;
    },
  };
}
