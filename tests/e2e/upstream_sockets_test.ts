/**
 * The real gateway's upstream UDP sockets after a burst: the README promises a source port
 * serves for at most 5 s, so once the burst is over every socket it opened is closed within
 * that time, not kept idle for the next burst.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { PORT_LIFETIME_MS } from "../../upstream/udp.ts";
import { doorPort, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, fakeUdp } from "../support/fake_upstreams.ts";
import { startGateway } from "../support/gateway.ts";
import { socketCount, socketsSettle } from "../support/process_sockets.ts";

const BURST = 100;
/** The upstream answers this late, so the whole burst is under way at once. */
const UPSTREAM_DELAY_MS = 300;

Deno.test("upstream UDP sockets opened by a burst are all closed within PORT_LIFETIME_MS", async () => {
  const upstream = fakeUdp((query, send) => {
    setTimeout(() => send(addressReply(query, "192.0.2.1")), UPSTREAM_DELAY_MS);
  });
  const gateway = await startGateway({
    env: {
      UPSTREAMS: upstream.url,
      UDP_PORT: "0",
      UDP_RATE: "0",
      CACHE_MAX_BYTES: "0",
      QUERY_TIMEOUT_MS: "2000",
    },
  });
  try {
    const before = socketCount(gateway.pid);
    const queries = Array.from(
      { length: BURST },
      (_, i) => makeQuery(`n${i}.burst.example`, RType.A, { id: i }),
    );
    const replies = await udpExchange(doorPort(gateway, "UDP"), queries, UPSTREAM_DELAY_MS + 300);
    assert.equal(replies.length, BURST, "every query of the burst is answered");
    const during = socketCount(gateway.pid);
    assert.ok(during >= before + BURST / 2, `the burst opened sockets: ${before} → ${during}`);
    const after = await socketsSettle(
      gateway.pid,
      (count) => count <= before,
      PORT_LIFETIME_MS + 1500,
    );
    assert.ok(after <= before, `sockets ${PORT_LIFETIME_MS + 1500} ms after the burst: ${after}`);
  } finally {
    await gateway.stop();
    upstream.close();
  }
});
