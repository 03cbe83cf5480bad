/**
 * One TLS handshake with our own door right after it opens. The first handshake of a Deno
 * process costs many times a later one (the TLS stack is set up lazily); doing it ourselves,
 * in the background, means no client pays for it (`deno task bench:all`: first handshake of a
 * new process). The outcome does not matter -- the client side may well reject the certificate
 * for this address -- only that the server side went through a handshake.
 */

/** Handshakes once with `hostname`:`port` (a wildcard address becomes loopback); never throws. */
export async function warmTls(hostname: string, port: number, cert: string): Promise<void> {
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname === "::" ? "::1" : hostname;
  try {
    const conn = await Deno.connectTls({ hostname: host, port, caCerts: [cert] });
    try {
      await conn.handshake();
    } finally {
      conn.close();
    }
  } catch {
    // A rejected certificate still warmed the server side.
  }
}
