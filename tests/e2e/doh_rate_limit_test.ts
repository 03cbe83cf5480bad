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
      const statuses = [];
      for (let i = 0; i < 12; i++) statuses.push((await ask(`/dns-query?dns=${dns}`)).status);
      assert.deepEqual(statuses, [...Array(10).fill(200), 429, 429]);
      const refused = await ask(`/resolve?name=www.${TEST_ZONE}`);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("retry-after"), "1");
      await new Promise((resolve) => setTimeout(resolve, 1000)); // one a second: one token
      assert.equal((await ask(`/dns-query?dns=${dns}`)).status, 200);

      // Through a trusted proxy (127.0.0.1 here), each forwarded client counts on its own.
      for (const client of ["192.0.2.10", "192.0.2.11"]) {
        const forwarded = { "x-forwarded-for": `203.0.113.99, ${client}` };
        for (let i = 0; i < 10; i++) {
          assert.equal((await ask(`/dns-query?dns=${dns}`, forwarded)).status, 200, client);
        }
        assert.equal((await ask(`/dns-query?dns=${dns}`, forwarded)).status, 429, client);
      }
      const log = await gateway.waitForStdout(/"client":"192\.0\.2\.11"/);
      assert.match(log, /"client":"192\.0\.2\.10","door":"doh"/);
      assert.doesNotMatch(log, /203\.0\.113\.99/, "what the client wrote itself is not believed");
    });
  },
});
