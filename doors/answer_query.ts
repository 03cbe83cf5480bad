/**
 * What every classic door (UDP, TCP, DoT) does with one query: ask the resolver, and turn the
 * two ways that can fail into an answer the client understands -- FORMERR for a query that
 * cannot be decoded (a header-only one; nothing at all without a header), SERVFAIL for a
 * failure of ours, which is reported. A TCP client waiting for an ID is never left without one.
 */
import { DnsWireError, encodeReplyTo, Rcode } from "../dns/mod.ts";
import type { Resolution, Resolver } from "../pipeline/resolver.ts";
import type { ClientInfo } from "../pipeline/types.ts";

export interface AnswerDeps {
  resolver: Pick<Resolver, "resolve">;
  /** Failures of the gateway itself (not malformed queries). */
  onError?: (error: unknown) => void;
}

/**
 * The bytes to send back, undefined for nothing; `fit` shapes the finished answer for the
 * door (the UDP door truncates it to the client's size).
 */
export async function answerQuery(
  deps: AnswerDeps,
  raw: Uint8Array,
  client: ClientInfo,
  fit: (resolution: Resolution) => Uint8Array = (resolution) => resolution.bytes,
): Promise<Uint8Array | undefined> {
  let resolution: Resolution;
  try {
    resolution = await deps.resolver.resolve(raw, client);
  } catch (error) {
    return unresolved(deps, raw, error);
  }
  try {
    return fit(resolution);
  } catch (error) {
    return failed(deps, raw, error);
  }
}

/**
 * What to send for a query the resolver threw on: FORMERR when it does not decode (nothing
 * without a header), SERVFAIL, reported, for anything else.
 */
export function unresolved(
  deps: AnswerDeps,
  raw: Uint8Array,
  error: unknown,
): Uint8Array | undefined {
  if (error instanceof DnsWireError) return encodeReplyTo(raw, { rcode: Rcode.FORMERR });
  return failed(deps, raw, error);
}

/** SERVFAIL for a failure of ours, which is reported (nothing without a header). */
export function failed(deps: AnswerDeps, raw: Uint8Array, error: unknown): Uint8Array | undefined {
  deps.onError?.(error);
  return encodeReplyTo(raw, { rcode: Rcode.SERVFAIL });
}
