/**
 * The real gateway under a flood of misses to an upstream that does not answer them (random
 * names under a slow zone), started with few file descriptors: its upstream sockets stay within
 * the budget its startup line names, the queries past it get SERVFAIL at once and are counted,
 * and meanwhile it still accepts connections and answers from its cache; after, it is whole.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { askDoh } from "../support/doh.ts";
import { addressReply, fakeUdp } from "../support/fake_upstreams.ts";
import { healthStatus, startGateway } from "../support/gateway.ts";
import { socketCount } from "../support/process_sockets.ts";

const FLOOD = 1000;
const DESCRIPTORS = 400;
/** How long the upstream is waited for. */
const WAIT_MS = 6000;
/** Queries sent before the replies to them (all but the budget's) are waited for. */
const WAVE = 100;

Deno.test({
  name:
    "a flood of unanswered misses holds at most the upstream socket budget, and the rest fail at once",
  ...integration(["prlimit"]),
  async fn() {
    // Names under "slow." are never answered; the others at once.
    const upstream = fakeUdp((query, send) => {
      if (!new TextDecoder().decode(query).includes("slow")) send(addressReply(query, "192.0.2.1"));
    });
    const gateway = await startGateway({
      env: {
        UPSTREAMS: upstream.url,
        UDP_PORT: "0",
        UDP_RATE: "0",
        // Long enough that the queries within the budget wait through the whole flood.
        QUERY_TIMEOUT_MS: String(WAIT_MS + 500),
        UPSTREAM_TIMEOUT_MS: String(WAIT_MS),
      },
      nofile: DESCRIPTORS,
    });
    const flooder = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const budget = Number(/^upstream sockets: at most (\d+)$/m.exec(gateway.stderr())?.[1]);
      assert.ok(budget > 0 && budget < DESCRIPTORS, gateway.stderr());
      assert.deepEqual((await askDoh(gateway.url, "cached.example")).reply.answers.length, 1);
      const before = socketCount(gateway.pid);

      const port = doorPort(gateway, "UDP");
      const rcodes: number[] = [];
      void (async () => {
        for await (const [reply] of flooder) rcodes.push(reply[3] & 0xf);
      })().catch(() => {/* closed */});
      const waitFor = async (count: number, ms: number) => {
        const end = Date.now() + ms;
        while (rcodes.length < count && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      // In waves, each answered but for the budget's before the next goes, so that the door's
      // receive buffer takes them all however busy the machine.
      for (let sent = 0; sent < FLOOD; sent += WAVE) {
        for (let i = sent; i < sent + WAVE; i++) {
          const query = makeQuery(`n${i}.slow.example`, RType.A, { id: i });
          await flooder.send(query, { transport: "udp", hostname: "127.0.0.1", port });
        }
        await waitFor(sent + WAVE - budget, 2000);
      }
      // Those past the budget are refused at once; those within it are still waiting.
      assert.ok(rcodes.length >= FLOOD - budget, `${rcodes.length} answered at once`);
      assert.ok(rcodes.length < FLOOD, "the queries within the budget are still under way");
      assert.ok(rcodes.every((rcode) => rcode === Rcode.SERVFAIL));
      const during = socketCount(gateway.pid);
      assert.ok(during <= before + budget, `sockets: ${before} before, ${during} during`);
      // Meanwhile the HTTP door takes new connections, and the cache answers.
      assert.equal(await healthStatus(gateway), 200);
      assert.equal((await askDoh(gateway.url, "cached.example")).reply.header.rcode, Rcode.NOERROR);

      // Every query gets its answer; after, the sockets are back and a miss is answered.
      await waitFor(FLOOD, WAIT_MS + 4000);
      assert.equal(rcodes.length, FLOOD);
      const fresh = await askDoh(gateway.url, "fresh.example");
      assert.deepEqual(fresh.reply.answers.map((r) => r.data), [{ address: "192.0.2.1" }]);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      const busy = /^dns_upstream_attempts_total\{[^}]*outcome="busy"[^}]*\} (\d+)$/m.exec(metrics);
      assert.ok(Number(busy?.[1]) >= FLOOD - budget, `counted: ${busy?.[0]}`);
      // Said once (a minute at most), not once a query.
      const said = gateway.stderr().match(/^upstream sockets: all \d+ in use.*$/gm) ?? [];
      assert.equal(said.length, 1, gateway.stderr());
      assert.match(
        said[0],
        new RegExp(
          `^upstream sockets: all ${budget} in use: queries past them answered SERVFAIL \\(1 so far\\)$`,
        ),
      );
    } finally {
      flooder.close();
      const code = await gateway.stop();
      upstream.close();
      assert.equal(code, 0, gateway.stderr());
    }
  },
});
