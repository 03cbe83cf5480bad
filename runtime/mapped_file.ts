/**
 * A file mapped read-only and shared (mmap(2) over FFI): every process that maps the same file
 * holds one copy of its pages, the kernel's page cache, instead of one each on its heap
 * (blocklist/shared_sets.ts maps the lists' stores so). Linux with --allow-ffi only; elsewhere
 * `mapFile` says why not and the caller reads or builds its own copy.
 *
 * The mapping is given back (munmap) only once the `ArrayBuffer` over it is collected: no view
 * of it is reachable then, so no read can meet an unmapped page. A file that is unlinked or
 * replaced by a rename leaves a mapping intact (it keeps the old inode); a file truncated in
 * place would make a read beyond its new end raise SIGBUS, so mapped files must only ever be
 * replaced by a rename, never written again (see where blocklist/shared_sets.ts writes them).
 */
import { openLibcSymbols } from "./libc_sockets.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const SEEK_END = 2;
const PROT_READ = 1;
const MAP_SHARED = 1;
/** mmap(2)'s MAP_FAILED, (void *) -1. */
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

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

/**
 * The whole file at `path` as read-only bytes shared with every process mapping it, or why not
 * (no FFI, no such file, an empty one). Writing into the bytes is a fault: they are read-only.
 */
export function mapFile(path: string): Uint8Array<ArrayBuffer> | string {
  const unavailable = mappingUnavailable();
  if (unavailable !== undefined) return unavailable;
  const libc = calls as MapCalls;
  const fd = libc.open(new TextEncoder().encode(`${path}\0`), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open it";
  try {
    const length = Number(libc.lseek(fd, 0n, SEEK_END));
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
