/**
 * The process's file-descriptor limit (RLIMIT_NOFILE): every connection a door holds is a
 * descriptor, and an accept past the limit fails. At startup the soft limit is raised to the
 * hard one (any process may; Deno itself does so on Linux, this makes sure and reads the
 * figure the connection caps must fit below); through libc over FFI, Linux only: elsewhere
 * nothing is raised or read and the startup line says why. What the caps leave bounds the
 * upstream sockets (`upstreamSockets`).
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

/**
 * Descriptors kept for what is not a client connection: listeners, upstream sockets, Redis,
 * files being read.
 */
export const RESERVED_DESCRIPTORS = 256;
/** The HTTP door keeps at least this many connections, however low the limit. */
const MIN_HTTP_CONNECTIONS = 16;

/**
 * How many connections the HTTP door may hold: `wanted` (HTTP_MAX_CONNECTIONS), lowered when
 * the descriptor limit cannot hold it besides `streamConnections` (the TCP and DoT doors'
 * caps) and RESERVED_DESCRIPTORS; with the startup line that says so.
 */
export function httpConnectionCap(
  wanted: number,
  streamConnections: number,
): { max: number; line: string } {
  const limit = known;
  const room = limit === undefined ? Infinity : limit - RESERVED_DESCRIPTORS - streamConnections;
  if (wanted <= room) return { max: wanted, line: `HTTP connections: at most ${wanted}` };
  const max = Math.max(MIN_HTTP_CONNECTIONS, room);
  return {
    max,
    line: `HTTP connections: at most ${max} (HTTP_MAX_CONNECTIONS=${wanted} lowered to fit ` +
      `${limit} file descriptors)`,
  };
}

/** Upstream sockets allowed however low the limit: queries that may be under way at once. */
const MIN_UPSTREAM_SOCKETS = 64;

/**
 * How many upstream sockets may be open at once (`SocketBudget` below): what the
 * descriptor limit leaves after RESERVED_DESCRIPTORS and the doors' caps, at least
 * MIN_UPSTREAM_SOCKETS; with its startup line. Unbounded, and nothing said, where the limit is
 * not known (no FFI, or no UDP at all, as on Deno Deploy).
 */
export function upstreamSocketCap(
  httpConnections: number,
  streamConnections: number,
): { max: number; line: string } {
  const limit = known;
  if (limit === undefined) return { max: Infinity, line: "" };
  const max = Math.max(
    MIN_UPSTREAM_SOCKETS,
    limit - RESERVED_DESCRIPTORS - httpConnections - streamConnections,
  );
  return { max, line: `upstream sockets: at most ${max}` };
}

/**
 * How many upstream sockets the process may hold at once, across every transport that takes
 * one per query: a UDP query under way holds a socket, and a DoH one may hold a connection (over
 * HTTP/1.1 it does), so without a bound a flood of misses to a slow upstream (random
 * names under a slow zone) would take every descriptor the process has. Out of descriptors, a
 * process cannot accept, read its lists, or load a module (Deno panics when it must read one
 * then). A query that finds the budget spent fails at once ("busy"), and the pool does not hold
 * that against the upstream.
 */
export class SocketBudget {
  #max: number;
  #open = 0;
  /** Sockets refused because the budget was spent. */
  refused = 0;
  /** Told of each refusal, with the count so far (main.ts says so once a minute). */
  onRefused?: (refused: number) => void;

  constructor(max = Infinity) {
    this.#max = max;
  }

  /** The bound; lowering it below what is open refuses new sockets until enough close. */
  get max(): number {
    return this.#max;
  }

  set max(value: number) {
    this.#max = value;
  }

  /** Sockets held now. */
  get open(): number {
    return this.#open;
  }

  /** One socket more, if the budget has room; false (counted) when it has none. */
  take(): boolean {
    if (this.#open >= this.#max) {
      this.refused++;
      this.onRefused?.(this.refused);
      return false;
    }
    this.#open++;
    return true;
  }

  /** One socket given back. */
  give(): void {
    if (this.#open > 0) this.#open--;
  }
}

/** The process's budget, which main.ts sizes from the descriptor limit once it is known. */
export const upstreamSockets = new SocketBudget();
