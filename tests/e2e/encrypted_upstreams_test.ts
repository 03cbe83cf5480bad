/**
 * The real gateway forwarding over DoT and over DoH to dnsdist (in front of knot), trusting
 * dnsdist's certificate through UPSTREAM_CA_FILE, as a user with a private resolver would.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { startEncryptedUpstream } from "../support/dnsdist.ts";
import { askDoh } from "../support/doh.ts";
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
              const { reply } = await askDoh(gateway.url, `${name}.${TEST_ZONE}`, type as number, {
                id: 4321,
              });
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
