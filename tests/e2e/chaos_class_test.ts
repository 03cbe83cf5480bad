/**
 * A record whose rdata format depends on its class, through the real gateway: an upstream's
 * Chaos-class A (a name and a 16-bit address, not an IPv4 address) is served stale — decoded
 * and encoded again — as dig, which knows the Chaos A format, reads it from the upstream.
 * The upstream is a fake (no real server here serves class CH zones) writing the bytes by hand.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { fakeUdp } from "../support/fake_upstreams.ts";
import { startGateway } from "../support/gateway.ts";
import { run } from "../support/tools.ts";

const CH = 3;
const A = 1;

const label = (text: string) => [text.length, ...new TextEncoder().encode(text)];
/** "Host.MIT" 0o177001: the Chaos A rdata, name written out. */
const RDATA = [...label("Host"), ...label("MIT"), 0, 0xfe, 0x01];

/** A reply to `query` with one CH A record (TTL 1) for its question, the rdata above. */
function chaosReply(query: Uint8Array): Uint8Array {
  let end = 12;
  while (query[end] !== 0) end += query[end] + 1;
  end += 5; // the root label, type and class
  const header = [query[0], query[1], 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
  const record = [0xc0, 12, 0, A, 0, CH, 0, 0, 0, 1, 0, RDATA.length, ...RDATA];
  return Uint8Array.from([...header, ...query.subarray(12, end), ...record]);
}

Deno.test({
  name: "dig reads an upstream's Chaos-class A record served stale by the gateway",
  ...integration(["dig"]),
  async fn() {
    let answering = true;
    const upstream = fakeUdp((query, send) => {
      if (answering) send(chaosReply(query));
    });
    const gateway = await startGateway({
      env: {
        UPSTREAMS: upstream.url,
        UPSTREAM_TIMEOUT_MS: "200",
        QUERY_TIMEOUT_MS: "400",
        UDP_PORT: "0",
      },
    });
    const dig = () =>
      run("dig", [
        "@127.0.0.1",
        "-p",
        String(doorPort(gateway, "UDP")),
        "-c",
        "CH",
        "+noall",
        "+answer",
        "host.chaos",
        "A",
      ]);
    const record = (ttl: number) =>
      new RegExp(`^host\\.chaos\\.\\s+${ttl}\\s+CH\\s+A\\s+Host\\.MIT\\. 177001$`, "m");
    try {
      assert.match(await dig(), record(1));
      answering = false;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // TTL 30: the answer was decoded and encoded again, not passed on as the upstream's bytes.
      assert.match(await dig(), record(30));
    } finally {
      await gateway.stop();
      upstream.close();
    }
  },
});
