/**
 * The transports that run over connections: TCP and DoT (stream.ts, over connect.ts's
 * connections) and DoH (doh.ts). Loaded on first use (lazy_transport.ts).
 */
import { tcpConnector, tlsConnector } from "./connect.ts";
import { DohTransport } from "./doh.ts";
import { StreamTransport } from "./stream.ts";
import type { Transport } from "./transport.ts";
import type { TransportOptions } from "./create.ts";
import type { UpstreamSpec } from "./url.ts";

export function connectionTransport(spec: UpstreamSpec, options: TransportOptions): Transport {
  const target = { host: spec.host, port: spec.port };
  switch (spec.protocol) {
    case "tcp":
      return new StreamTransport(spec.url, tcpConnector(target));
    case "tls":
      return new StreamTransport(spec.url, tlsConnector(target, options));
    case "https":
    case "http":
      return new DohTransport(spec.url, options);
    case "udp":
      throw new Error("UDP is not a connection transport");
  }
}
