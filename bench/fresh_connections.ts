/**
 * Fresh connections, the way a browser's first DoH query meets a server: one new TLS
 * connection per query (curl, HTTP/2 by ALPN). Reported: time to the first answer (from the
 * start of connecting), the handshake, and stalls — answers that came over 20 ms after the
 * handshake (Nagle's algorithm on the server meeting the client's delayed ACK costs ~40 ms).
 * Also the first handshake of a fresh process against later ones.
 */
import { CACHED_NAME, dohGetPath } from "./bench_zone.ts";
import { median } from "./load_round.ts";

/** What curl saw of one query on a new connection, milliseconds from its start. */
export interface Fetched {
  connectMs: number;
  handshakeMs: number;
  firstByteMs: number;
}

/** An answer more than this long after the handshake is a stall. */
export const STALL_MS = 20;

export async function freshQuery(base: string): Promise<Fetched> {
  const output = await new Deno.Command("taskset", {
    args: [
      ...["-c", "1", "curl", "-sk", "-o", "/dev/null", "--http2"],
      ...["-w", "%{time_connect} %{time_appconnect} %{time_starttransfer} %{http_code}"],
      base + dohGetPath(CACHED_NAME),
    ],
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(10_000),
  }).output();
  const [connect, tls, first, status] = new TextDecoder().decode(output.stdout).split(" ");
  if (status !== "200") throw new Error(`curl ${base}: HTTP ${status}`);
  return {
    connectMs: Number(connect) * 1000,
    handshakeMs: (Number(tls) - Number(connect)) * 1000,
    firstByteMs: Number(first) * 1000,
  };
}

export interface FreshSummary {
  firstAnswerMs: number;
  stalls: number;
  count: number;
}

/** `count` queries, each on a new connection, one after another. */
export async function freshConnections(base: string, count: number): Promise<FreshSummary> {
  const seen: Fetched[] = [];
  for (let i = 0; i < count; i++) seen.push(await freshQuery(base));
  return {
    firstAnswerMs: median(seen.map((f) => f.firstByteMs)),
    stalls: seen.filter((f) => f.firstByteMs - f.connectMs - f.handshakeMs > STALL_MS).length,
    count,
  };
}

/** The first handshake of a process just started, and the median of the `later` after it. */
export async function firstHandshake(
  base: string,
  later = 10,
): Promise<{ firstMs: number; laterMs: number }> {
  const first = await freshQuery(base);
  const rest: number[] = [];
  for (let i = 0; i < later; i++) rest.push((await freshQuery(base)).handshakeMs);
  return { firstMs: first.handshakeMs, laterMs: median(rest) };
}
