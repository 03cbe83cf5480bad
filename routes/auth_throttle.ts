/**
 * Wrong admin tokens are throttled per client address, so the token cannot be guessed at the
 * speed of the network: the bearer check of the admin API and the dashboard's login form count
 * their failures in one budget per address (IPv6 per /64, behind a trusted proxy the forwarded
 * client: routes/client_address.ts). Over it, every attempt from that address is 429 with
 * Retry-After, the right token included (else the answer would still tell right from wrong),
 * until the budget refills. The table of addresses is bounded (net/rate_limit.ts).
 */
import { RateLimiter } from "../net/rate_limit.ts";
import { reason } from "./reason.ts";
import { retryAfter } from "./rate_limit.ts";

export interface AuthThrottleOptions {
  /** Wrong tokens an address may send at once. */
  burst?: number;
  /** Wrong tokens an address may send per minute after that. */
  perMinute?: number;
  /** Most addresses tracked at once. */
  maxClients?: number;
  now?: () => number;
}

const DEFAULT_AUTH_BURST = 10;
const DEFAULT_AUTH_PER_MINUTE = 10;
const DEFAULT_MAX_CLIENTS = 10_000;

export class AuthThrottle {
  #failures: RateLimiter;

  constructor(options: AuthThrottleOptions = {}) {
    this.#failures = new RateLimiter({
      rate: (options.perMinute ?? DEFAULT_AUTH_PER_MINUTE) / 60,
      burst: options.burst ?? DEFAULT_AUTH_BURST,
      maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS,
      now: options.now,
    });
  }

  /** Milliseconds until `address` may try a token again: 0 while its budget lasts. */
  waitMs(address: string): number {
    return this.#failures.peek(address);
  }

  /** Counts a wrong token from `address`. */
  failed(address: string): void {
    this.#failures.wait(address);
  }
}

export const TOO_MANY_WRONG_TOKENS = "too many wrong admin tokens from this address: try later";

/** The admin API's 429, with Retry-After. */
export function tooManyWrongTokens(waitMs: number): Response {
  return reason(429, TOO_MANY_WRONG_TOKENS, retryAfter(waitMs));
}
