/**
 * From a parsed upstream URL to the transport that speaks its protocol, and whether this
 * runtime can do UDP at all (Deno Deploy cannot, and takes no unstable flags).
 */
import { tcpConnector, tlsConnector } from "./connect.ts";
import { DohTransport } from "./doh.ts";
import { StreamTransport } from "./stream.ts";
import type { Transport } from "./transport.ts";
import { UdpTransport } from "./udp.ts";
import type { UpstreamSpec } from "./url.ts";

export interface TransportOptions {
  /** Extra trusted roots (PEM) for tls:// and https:// upstreams. */
  caCerts?: string[];
}

export function createTransport(spec: UpstreamSpec, options: TransportOptions = {}): Transport {
  const target = { host: spec.host, port: spec.port };
  switch (spec.protocol) {
    case "udp": {
      // Truncated UDP replies are retried over TCP to the same address and port.
      const tcpName = spec.url.replace(/^udp:/, "tcp:");
      const tcp = new StreamTransport(tcpName, tcpConnector(target));
      return new UdpTransport({ name: spec.url, ...target }, tcp);
    }
    case "tcp":
      return new StreamTransport(spec.url, tcpConnector(target));
    case "tls":
      return new StreamTransport(spec.url, tlsConnector(target, options));
    case "https":
    case "http":
      return new DohTransport(spec.url, options);
  }
}

let udp: boolean | undefined;

/** True when UDP sockets can be opened here (checked once, by opening one). */
export function udpAvailable(): boolean {
  if (udp === undefined) {
    try {
      const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      socket.close();
      udp = true;
    } catch {
      udp = false;
    }
  }
  return udp;
}
