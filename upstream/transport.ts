/**
 * What the pool needs from a way of reaching an upstream. Each transport (udp, tcp, dot, doh)
 * owns its sockets: `query` never outlives its signal and `close` releases everything, so a
 * pool can be built and torn down in a test with Deno's leak sanitizers on.
 */
export interface Transport {
  /** The upstream's normalised URL, e.g. "udp://9.9.9.9:53"; used in logs and errors. */
  readonly name: string;
  /**
   * Sends an encoded query (any ID; the transport picks its own) and resolves with the
   * upstream's reply, already checked to be a well-formed response to this question. The ID
   * is whatever the upstream sent: the caller patches in the client's. Rejects only with
   * `UpstreamError`, at the latest when `signal` aborts.
   */
  query(query: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  /** Closes connections and timers; queries in flight reject. Idempotent. */
  close(): void;
}
