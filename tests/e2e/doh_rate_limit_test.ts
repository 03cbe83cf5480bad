/**
 * The real gateway's per-client rate limit on DoH and JSON: a client past DOH_BURST gets 429
 * with Retry-After and is answered again once its bucket refills; behind a trusted proxy each
 * forwarded client has its own bucket and is the client the query log names.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { dnsParam } from "../support/doh.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const dns = dnsParam(makeQuery(`www.${TEST_ZONE}`, RType.A));

Deno.test({
  name: "a DoH client over DOH_BURST gets 429 with Retry-After, then answers once it slows down",
  ...integration(["knotd"]),
  async fn() {
    await withKnotGateway({
      env: {
        DOH_RATE: "1",
        DOH_BURST: "10",
        TRUSTED_PROXIES: "127.0.0.1",
      },
    }, async (gateway) => {
      const ask = async (path: string, headers: Record<string, string> = {}) => {
        const response = await fetch(`${gateway.url}${path}`, { headers });
        await response.body?.cancel();
        return response;
      };
      // Asked all at once, so that no token comes back meanwhile however busy the machine.
      const burst = async (count: number, path: string, headers?: Record<string, string>) => {
        const asked = Array.from({ length: count }, () => ask(path, headers));
        return (await Promise.all(asked)).map((response) => response.status).sort();
      };
      const emptied = performance.now();
      assert.deepEqual(await burst(12, `/dns-query?dns=${dns}`), [
        ...Array(10).fill(200),
        429,
        429,
      ]);
      // The JSON API draws on the same bucket, just emptied: refused, unless a second has
      // passed since (a token came back; a very busy machine can take that long).
      const refused = await ask(`/resolve?name=www.${TEST_ZONE}`);
      if (refused.status !== 429) assert.ok(performance.now() - emptied > 1000);
      else assert.equal(refused.headers.get("retry-after"), "1");
      await new Promise((resolve) => setTimeout(resolve, 1000)); // one a second: one token
      assert.equal((await ask(`/dns-query?dns=${dns}`)).status, 200);

      // Through a trusted proxy (127.0.0.1 here), each forwarded client counts on its own.
      for (const client of ["192.0.2.10", "192.0.2.11"]) {
        const forwarded = { "x-forwarded-for": `203.0.113.99, ${client}` };
        assert.deepEqual(
          await burst(11, `/dns-query?dns=${dns}`, forwarded),
          [...Array(10).fill(200), 429],
          client,
        );
      }
      const log = await gateway.waitForStdout(/"client":"192\.0\.2\.11"/);
      assert.match(log, /"client":"192\.0\.2\.10","door":"doh"/);
      assert.doesNotMatch(log, /203\.0\.113\.99/, "what the client wrote itself is not believed");
    });
  },
});
