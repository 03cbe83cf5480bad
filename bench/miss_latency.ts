/**
 * What the gateway adds to a miss: names no one asked before, one at a time over UDP, to the
 * gateway and straight to its upstream, alternating so both see the same machine; the
 * difference of the medians is the gateway's cost on the miss path.
 */
import { RType } from "../dns/mod.ts";
import { missNames } from "./bench_zone.ts";
import { median } from "./load_round.ts";
import { makeQuery } from "../tests/support/dns_query.ts";

/** Median ms of one query at a time to each port, `count` unique names each. */
export async function missLatency(
  ports: { gateway: number; upstream: number },
  tag: string,
  count: number,
): Promise<{ gatewayMs: number; upstreamMs: number }> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const times = { gateway: [] as number[], upstream: [] as number[] };
  try {
    const names = missNames(`lat${tag}`, count * 2);
    for (let i = 0; i < count; i++) {
      for (const target of ["gateway", "upstream"] as const) {
        const name = names[2 * i + (target === "gateway" ? 0 : 1)];
        const id = (i * 2 + 1) & 0xffff;
        const query = makeQuery(name, RType.A, { id });
        const started = performance.now();
        await socket.send(query, { transport: "udp", hostname: "127.0.0.1", port: ports[target] });
        while (true) {
          const [reply] = await socket.receive();
          if (((reply[0] << 8) | reply[1]) === id) break;
        }
        times[target].push(performance.now() - started);
      }
    }
  } finally {
    socket.close();
  }
  return { gatewayMs: median(times.gateway), upstreamMs: median(times.upstream) };
}
