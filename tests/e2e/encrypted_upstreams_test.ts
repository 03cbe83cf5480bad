/**
 * The real gateway forwarding over DoT and over DoH to dnsdist (in front of knot), trusting
 * dnsdist's certificate through UPSTREAM_CA_FILE, as a user with a private resolver would.
 */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { startEncryptedUpstream } from "../support/dnsdist.ts";
import { makeQuery } from "../support/dns_query.ts";
import { startGateway } from "../support/gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

Deno.test({
  name: "the gateway forwards over DoT and DoH upstreams and returns their answers",
  ...integration(["knotd", "dnsdist", "openssl"]),
  async fn(t) {
    const upstream = await startEncryptedUpstream();
    try {
      const upstreams = { DoT: upstream.dotUrl, DoH: upstream.dohUrl };
      for (const [label, url] of Object.entries(upstreams)) {
        await t.step(`over ${label}`, async () => {
          const gateway = await startGateway({
            env: { UPSTREAMS: url, UPSTREAM_CA_FILE: upstream.cert.certFile },
          });
          try {
            for (const [name, type, count] of [["www", RType.A, 2], ["big", RType.TXT, 8]]) {
              const response = await fetch(`${gateway.url}/dns-query`, {
                method: "POST",
                headers: { "content-type": "application/dns-message" },
                body: makeQuery(`${name}.${TEST_ZONE}`, type as number, { id: 4321 }),
              });
              assert.equal(response.status, 200);
              const reply = decodeMessage(new Uint8Array(await response.arrayBuffer()));
              assert.equal(reply.header.id, 4321);
              assert.equal(reply.answers.length, count);
            }
            const logged = new RegExp(`"upstream":"${url.replace(/\//g, "\\/")}`);
            assert.match(await gateway.waitForStdout(logged), logged);
          } finally {
            await gateway.stop();
          }
        });
      }
    } finally {
      await upstream.stop();
    }
  },
});
