/**
 * Gives the C heap's free pages back to the kernel (malloc_trim(3)). Loading a big list frees
 * tens of megabytes of scratch buffers (its text, its fingerprints) at once, and glibc keeps
 * most of them resident, at rest for good: the list then cost twice its store in RSS (`deno
 * task bench:list-rss`). Linux with --allow-ffi only; elsewhere (Deno Deploy) it does nothing.
 */
import { openLibcSymbols } from "./libc_sockets.ts";

const SYMBOLS = { malloc_trim: { parameters: ["usize"], result: "i32" } } as const;

let calls: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | string | undefined;

/** Trims the C heap; true when it ran (and released something or not), false where it cannot. */
export function trimNativeHeap(): boolean {
  calls ??= openLibcSymbols(SYMBOLS);
  if (typeof calls === "string") return false;
  calls.malloc_trim(0n);
  return true;
}
