/** Plain TCP connections held open by a test: what a connection flood is made of. */

/** `count` connections to 127.0.0.1:`port`, each writing `first` (if given) and nothing more. */
export async function openConnections(
  port: number,
  count: number,
  first?: Uint8Array,
): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    if (first) await conn.write(first);
    conns.push(conn);
  }
  return conns;
}

export function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}
