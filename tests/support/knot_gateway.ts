/**
 * The most common e2e setup: a fresh knot serving the test zone, and the real gateway
 * forwarding to it over UDP, both stopped after the test's body whatever it did (knot too when
 * the gateway fails to start), so that no test leaves a process behind.
 */
import { type Gateway, type GatewayOptions, startGateway } from "./gateway.ts";
import { type KnotOptions, type KnotServer, startKnot } from "./knot.ts";

export interface KnotGatewayOptions extends Omit<GatewayOptions, "env"> {
  /** The gateway's settings beyond UPSTREAMS, which is the knot. */
  env?: Record<string, string>;
  /** How knot starts (another zone text, say); the test zone by default. */
  knot?: KnotOptions;
}

/** The UPSTREAMS setting that forwards to `knot` over UDP. */
export const knotUpstream = (knot: KnotServer): string => `udp://127.0.0.1:${knot.port}`;

/** Runs `body` against a gateway in front of a fresh knot; stops the gateway, then knot. */
export async function withKnotGateway<T>(
  options: KnotGatewayOptions,
  body: (gateway: Gateway, knot: KnotServer) => Promise<T>,
): Promise<T> {
  const { env = {}, knot: knotOptions, ...gatewayOptions } = options;
  const knot = await startKnot(knotOptions);
  try {
    const gateway = await startGateway({
      ...gatewayOptions,
      env: { UPSTREAMS: knotUpstream(knot), ...env },
    });
    try {
      return await body(gateway, knot);
    } finally {
      await gateway.stop();
    }
  } finally {
    await knot.stop();
  }
}
