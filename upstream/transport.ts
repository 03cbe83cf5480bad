/**
 * What the pool needs from a way of reaching an upstream. Each transport (udp, tcp, dot, doh)
 * owns its sockets: `query` never outlives its deadline and `close` releases everything, so a
 * pool can be built and torn down in a test with Deno's leak sanitizers on.
 */
import type { Deadline } from "../runtime/deadline.ts";

export interface Transport {
  /** The upstream's normalised URL, e.g. "udp://9.9.9.9:53"; used in logs and errors. */
  readonly name: string;
  /**
   * Sends an encoded query (any ID; the transport picks its own) and resolves with the
   * upstream's reply, already checked to be a well-formed response to this question. The ID
   * is whatever the upstream sent: the caller patches in the client's. Rejects only with
   * `UpstreamError`, at the latest when `deadline` runs out (a `Deadline`, not an AbortSignal:
   * the UDP transport follows it without making one).
   */
  query(query: Uint8Array, deadline: Deadline): Promise<Uint8Array>;
  /** Closes connections and timers; queries in flight reject. Idempotent. */
  close(): void;
}
