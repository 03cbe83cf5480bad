/**
 * A file mapped read-only and shared (mmap(2) over FFI): every process that maps the same file
 * holds one copy of its pages, the kernel's page cache, instead of one each on its heap
 * (blocklist/shared_sets.ts maps the lists' stores so). Linux with --allow-ffi only; elsewhere
 * `mapFile` says why not and the caller reads or builds its own copy.
 *
 * The mapping is given back (munmap) only once the `ArrayBuffer` over it is collected: no view
 * of it is reachable then, so no read can meet an unmapped page. A file that is unlinked or
 * replaced by a rename leaves a mapping intact (it keeps the old inode); a file truncated in
 * place would make a read beyond its new end raise SIGBUS, which kills the process. So only a
 * file that nobody but this process's user (or root) could cut is mapped: a regular file (not a
 * symbolic link, a device such as /dev/zero, a pipe or a directory), not empty, owned by this
 * process's user and writable by nobody (written read-only: blocklist/shared_sets.ts). Its
 * length is taken from the opened descriptor, so a file cut before the mapping is never read
 * past its end either.
 */
import { openLibcSymbols } from "./libc_sockets.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  geteuid: { parameters: [], result: "u32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const PROT_READ = 1;
const MAP_SHARED = 1;
/** mmap(2)'s MAP_FAILED, (void *) -1. */
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/** statx(2) on the descriptor itself, and the fields asked: type and mode, owner, size. */
const AT_EMPTY_PATH = 0x1000;
const STATX_ASKED = 0x1 | 0x2 | 0x8 | 0x200;
const STATX_BYTES = 256;
/** Offsets in struct statx (the same on every architecture). */
const STX_UID = 20;
const STX_MODE = 28;
const STX_SIZE = 40;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const ANY_WRITE = 0o222;

type MapCalls = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let calls: MapCalls | string | undefined;

/** Mappings still held (not yet collected and unmapped), for tests and the bench. */
let held = 0;

const unmapper = new FinalizationRegistry<{ pointer: Deno.PointerObject; length: number }>(
  ({ pointer, length }) => {
    if (typeof calls !== "string") calls?.munmap(pointer, BigInt(length));
    held--;
  },
);

/** Why files cannot be mapped here, or undefined when they can. */
export function mappingUnavailable(): string | undefined {
  calls ??= openLibcSymbols(SYMBOLS);
  return typeof calls === "string" ? calls : undefined;
}

/** How many mappings this process holds: made and not yet unmapped. */
export function mappingsHeld(): number {
  return held;
}

/** What `mapFile` says of a path where there is no file at all. */
export const NO_SUCH_FILE = "no such file";

/**
 * The whole file at `path` as read-only bytes shared with every process mapping it, or why not
 * (no FFI, `NO_SUCH_FILE`, a file that is not safe to map: see above). Writing into the bytes
 * is a fault: they are read-only.
 */
export function mapFile(path: string): Uint8Array<ArrayBuffer> | string {
  const unavailable = mappingUnavailable();
  if (unavailable !== undefined) return unavailable;
  const libc = calls as MapCalls;
  // O_NONBLOCK: a pipe put in the file's place must not stall the process in open(2).
  const flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  const fd = libc.open(new TextEncoder().encode(`${path}\0`), flags);
  if (fd < 0) return whyNotOpened(path);
  try {
    const stat = new Uint8Array(STATX_BYTES);
    if (libc.statx(fd, new Uint8Array(1), AT_EMPTY_PATH, STATX_ASKED, stat) !== 0) {
      return "cannot stat it";
    }
    // In the machine's byte order, as the kernel wrote them.
    const mode = new Uint16Array(stat.buffer, STX_MODE, 1)[0];
    const length = Number(new BigUint64Array(stat.buffer, STX_SIZE, 1)[0]);
    if ((mode & S_IFMT) !== S_IFREG) return "not a regular file";
    if (new Uint32Array(stat.buffer, STX_UID, 1)[0] !== libc.geteuid()) {
      return "owned by another user";
    }
    if ((mode & ANY_WRITE) !== 0) return "writable (a stored file is read-only)";
    if (!(length > 0)) return "it is empty";
    const pointer = libc.mmap(null, BigInt(length), PROT_READ, MAP_SHARED, fd, 0n);
    if (pointer === null || Deno.UnsafePointer.value(pointer) === MAP_FAILED) {
      return "mmap failed";
    }
    const buffer = Deno.UnsafePointerView.getArrayBuffer(pointer, length);
    held++;
    unmapper.register(buffer, { pointer, length });
    return new Uint8Array(buffer);
  } finally {
    libc.close(fd);
  }
}

/** Why open(2) failed: no file, a symbolic link (never followed), or another reason. */
function whyNotOpened(path: string): string {
  try {
    return Deno.lstatSync(path).isSymlink ? "a symbolic link" : "cannot open it";
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? NO_SUCH_FILE : "cannot open it";
  }
}
