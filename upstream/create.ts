/** From a parsed upstream URL to the transport that speaks its protocol. */
import { LazyTransport } from "./lazy_transport.ts";
import type { Transport } from "./transport.ts";
import { UdpTransport } from "./udp.ts";
import type { UpstreamSpec } from "./url.ts";

export interface TransportOptions {
  /** Extra trusted roots (PEM) for tls:// and https:// upstreams. */
  caCerts?: string[];
}

export function createTransport(spec: UpstreamSpec, options: TransportOptions = {}): Transport {
  if (spec.protocol !== "udp") return connectionTransport(spec, options);
  // Truncated UDP replies are retried over TCP to the same address and port.
  const tcp: UpstreamSpec = { ...spec, protocol: "tcp", url: spec.url.replace(/^udp:/, "tcp:") };
  return new UdpTransport(
    { name: spec.url, host: spec.host, port: spec.port },
    connectionTransport(tcp, options),
  );
}

/** TCP, DoT and DoH, loaded on first use (lazy_transport.ts). */
function connectionTransport(spec: UpstreamSpec, options: TransportOptions): Transport {
  return new LazyTransport(
    spec.url,
    async () => (await import("./connection_transports.ts")).connectionTransport(spec, options),
  );
}
