/**
 * The DNS-over-TLS door (RFC 7858): the TCP door's loop behind TLS with ALPN "dot"
 * (RFC 7858 §3.1 registers it; clients that offer only other protocols are turned away by
 * the handshake). Needs the same certificate as HTTPS (TLS_CERT, TLS_KEY). With
 * CLIENT_ID_DOMAIN, the ClientID in the server name each client asks for (server_name.ts).
 */
import { StreamDoor, type TcpDoorOptions } from "./tcp.ts";
import { noDelayOnListener } from "../runtime/tcp_nodelay.ts";
import { ServerNameReader } from "./server_name.ts";

export interface DotDoorOptions extends TcpDoorOptions {
  /** PEM text. */
  cert: string;
  key: string;
  /** The door's own host name: `<clientid>.<domain>` names a ClientID (CLIENT_ID_DOMAIN). */
  clientIdDomain?: string;
}

/** Listens with TLS; throws when the port cannot be had or the certificate is unusable. */
export function listenDot(options: DotDoorOptions): StreamDoor {
  const listener = Deno.listenTls({
    hostname: options.hostname,
    port: options.port,
    reusePort: options.reusePort,
    cert: options.cert,
    key: options.key,
    alpnProtocols: ["dot"],
  });
  // TlsConn has no setNoDelay: set on the listener, accepted sockets inherit it.
  noDelayOnListener(listener.addr.port);
  const domain = options.clientIdDomain;
  const serverNames = domain === undefined
    ? undefined
    : new ServerNameReader(listener.addr.port, domain, options.idleTimeoutMs / 1000);
  return new StreamDoor(listener, "dot", options, serverNames);
}
