/**
 * The process's file-descriptor limit (RLIMIT_NOFILE): every connection a door holds is a
 * descriptor, and an accept past the limit fails. At startup the soft limit is raised to the
 * hard one (any process may), so the connection caps fit below it; through libc over FFI,
 * Linux only: elsewhere nothing is raised and the startup line says why.
 */
import { openLimitCalls } from "./libc_sockets.ts";

const RLIMIT_NOFILE = 7;
/** RLIM_INFINITY: no limit. */
const UNLIMITED = 0xffff_ffff_ffff_ffffn;

let known: number | undefined;

/** Raises the soft limit to the hard one; the startup line that says how it went. */
export function raiseDescriptorLimit(): string {
  const libc = openLimitCalls();
  if (typeof libc === "string") return `file descriptors: limit not raised (${libc})`;
  const limit = new BigUint64Array(2);
  if (libc.getrlimit(RLIMIT_NOFILE, limit) !== 0) {
    return "file descriptors: limit not raised (getrlimit failed)";
  }
  const [soft, hard] = limit;
  if (soft >= hard) {
    known = toNumber(soft);
    return `file descriptors: ${describe(soft)}`;
  }
  limit[0] = hard;
  if (libc.setrlimit(RLIMIT_NOFILE, limit) !== 0) {
    known = toNumber(soft);
    return `file descriptors: ${describe(soft)} (raising to ${describe(hard)} failed)`;
  }
  known = toNumber(hard);
  return `file descriptors: ${describe(hard)} (raised from ${describe(soft)})`;
}

/** The soft limit as last read or set here; undefined when it could not be. */
export function descriptorLimit(): number | undefined {
  return known;
}

function toNumber(value: bigint): number {
  return value >= UNLIMITED ? Number.MAX_SAFE_INTEGER : Number(value);
}

function describe(value: bigint): string {
  return value >= UNLIMITED ? "unlimited" : String(value);
}
