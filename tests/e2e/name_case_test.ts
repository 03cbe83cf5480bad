/**
 * Names keep the case the upstream wrote them in when the gateway re-encodes an answer (here: a
 * stale answer, rebuilt with TTL 30 and EDE 3), as a validating client downstream needs: an
 * HTTPS target and an NSEC next name are not lowercased for DNSSEC (RFC 4034 §6.2, RFC 6840
 * §5.1), so a lowercased one no longer matches its signature. Real knot, the real gateway, kdig.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { smallZoneText, TEST_ZONE } from "../support/test_zone.ts";
import { run } from "../support/tools.ts";

/** Records with a one-second TTL, so their cache entries expire while the test waits. */
const ZONE = smallZoneText([
  "mixed 1 HTTPS 0 b-1._tcp.Example.ORG.",
  "mixed 1 NSEC Next.Example.ORG. A HTTPS RRSIG NSEC",
]);

Deno.test({
  name: "kdig reads a stale (re-encoded) answer with its names in the case knot wrote them",
  ...integration(["knotd", "kdig"]),
  async fn() {
    await withKnotGateway({
      knot: { zoneText: ZONE },
      env: {
        UPSTREAM_TIMEOUT_MS: "200",
        QUERY_TIMEOUT_MS: "400",
        UDP_PORT: "0",
      },
    }, async (gateway, knot) => {
      const kdig = (type: string) =>
        run("kdig", [
          "@127.0.0.1",
          "-p",
          String(doorPort(gateway, "UDP")),
          "+noall",
          "+answer",
          `MiXed.${TEST_ZONE}`,
          type,
        ]);
      const record = (ttl: number, rest: string) =>
        new RegExp(`^mixed\\.test\\.example\\.\\s+${ttl}\\s+IN\\s+${rest}$`, "m");
      assert.match(await kdig("HTTPS"), record(1, "HTTPS\\s+0 b-1\\._tcp\\.Example\\.ORG\\."));
      assert.match(
        await kdig("NSEC"),
        record(1, "NSEC\\s+Next\\.Example\\.ORG\\. A RRSIG NSEC HTTPS"),
      );
      await knot.stop();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // TTL 30: the answers were decoded and encoded again, not passed on as knot's bytes.
      assert.match(await kdig("HTTPS"), record(30, "HTTPS\\s+0 b-1\\._tcp\\.Example\\.ORG\\."));
      assert.match(
        await kdig("NSEC"),
        record(30, "NSEC\\s+Next\\.Example\\.ORG\\. A RRSIG NSEC HTTPS"),
      );
    });
  },
});
