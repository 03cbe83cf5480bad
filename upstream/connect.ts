/**
 * Opening the connections stream transports run on: plain TCP, and TLS for DoT (RFC 7858:
 * port 853, the certificate checked against the upstream's name or IP address, ALPN "dot").
 * Both honour the abort signal throughout, handshake included, so a black-holed upstream
 * never leaves a connect pending.
 */
import { abortable } from "./abortable.ts";
import type { Connector } from "./stream.ts";

export interface ConnectTarget {
  host: string;
  port: number;
}

export function tcpConnector(target: ConnectTarget): Connector {
  return (signal) => openTcp(target, signal);
}

async function openTcp(target: ConnectTarget, signal: AbortSignal): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: target.host, port: target.port, signal });
  conn.setNoDelay(true);
  return conn;
}

export interface TlsConnectOptions {
  /** Extra trusted roots (PEM), e.g. a private CA; the system's roots are used otherwise. */
  caCerts?: string[];
}

export function tlsConnector(target: ConnectTarget, options: TlsConnectOptions = {}): Connector {
  return async (signal) => {
    const tcp = await openTcp(target, signal);
    let tls: Deno.TlsConn | undefined;
    try {
      tls = await Deno.startTls(tcp, {
        hostname: target.host,
        caCerts: options.caCerts,
        alpnProtocols: ["dot"],
      });
      await abortable(tls.handshake(), signal, () => new Error("TLS handshake timed out"));
      return tls;
    } catch (error) {
      try {
        (tls ?? tcp).close();
      } catch {
        // already closed
      }
      throw error;
    }
  };
}
