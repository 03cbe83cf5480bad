/**
 * Why an upstream did not give a usable answer. Transports reject with `UpstreamError` only,
 * so the pool can log one line per upstream and decide on failover without guessing; the pool
 * rejects with `AllUpstreamsFailedError` only, which the forward stage turns into SERVFAIL.
 */

/**
 * - timeout: no matching reply before the signal aborted
 * - network: could not connect, connection reset or closed, send failed
 * - mismatch: replies came but none matched our ID and question (spoofed or confused)
 * - http: a DoH upstream answered with a status or content type other than a DNS message
 * - malformed: the reply is not a well-formed DNS message, or too big
 * - rcode: the upstream answered, but with SERVFAIL or REFUSED
 * - busy: not asked: the gateway had no room for another query (`SocketBudget`,
 *   runtime/descriptor_limit.ts), which says nothing about the upstream
 */
export type UpstreamErrorKind =
  | "timeout"
  | "network"
  | "mismatch"
  | "http"
  | "malformed"
  | "rcode"
  | "busy";

export class UpstreamError extends Error {
  /** The upstream's URL, e.g. "udp://9.9.9.9:53". */
  readonly upstream: string;
  readonly kind: UpstreamErrorKind;

  /** `reason` is one line, e.g. "connection refused"; the message prefixes the upstream. */
  constructor(upstream: string, kind: UpstreamErrorKind, reason: string, options?: ErrorOptions) {
    super(`${upstream}: ${reason}`, options);
    this.name = "UpstreamError";
    this.upstream = upstream;
    this.kind = kind;
  }

  /** The reason without the upstream prefix. */
  get reason(): string {
    return this.message.slice(this.upstream.length + 2);
  }
}

/** Every upstream was tried (or skipped for lack of time) and none gave a usable answer. */
export class AllUpstreamsFailedError extends Error {
  /** One entry per attempt, in order. */
  readonly failures: readonly UpstreamError[];

  constructor(failures: readonly UpstreamError[]) {
    const detail = failures.length === 0
      ? "no upstream could be tried in time"
      : failures.map((failure) => failure.message).join("; ");
    super(`all upstreams failed: ${detail}`);
    this.name = "AllUpstreamsFailedError";
    this.failures = failures;
  }
}

/** One line describing any thrown value, for error reasons built from foreign errors. */
export function describeError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (error instanceof Error) return error.message.split("\n", 1)[0];
  return String(error);
}
