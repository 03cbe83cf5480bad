/**
 * The real gateway, with knot as its upstream and no profiles: a ClientID in the DoH path or
 * the DoT server name changes nothing of the answer (every client gets the one plain profile),
 * a bad ClientID is 400 naming the rule, a deeper path 404, and the DoT door says at startup
 * that it reads ClientIDs from server names under CLIENT_ID_DOMAIN; /metrics counts refused
 * strangers by door.
 */
import assert from "node:assert/strict";
import { CLIENT_ID_RULE } from "../../pipeline/profile.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { lines, run, runToEnd } from "../support/tools.ts";

const DOMAIN = "dns.test";
const NAME = `www.${TEST_ZONE}`;

Deno.test({
  name:
    "an unrestricted gateway answers /dns-query/<clientid> and <clientid>.<domain> over DoT as it answers without",
  ...integration(["knotd", "kdig", "curl", "openssl"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "client-id-e2e-" });
    try {
      const cert = await makeCertificate(dir, ["localhost", DOMAIN, `*.${DOMAIN}`]);
      const env = { ...tlsEnv(cert), DOT_PORT: "0", CLIENT_ID_DOMAIN: DOMAIN };
      await withKnotGateway({ env }, async (gateway) => {
        assert.match(
          gateway.stderr(),
          /DoT ClientIDs: read from server names <clientid>\.dns\.test\n/,
        );
        const at = ["@127.0.0.1", "-p", `${gateway.port}`, `+tls-ca=${cert.certFile}`, "+short"];
        const expected = lines(await run("kdig", [...at, "+https", NAME, "A"]));
        assert.ok(expected.length > 0);
        for (const method of [[], ["+https-get"]]) {
          for (const path of ["/dns-query/abc", "/dns-query/Kids-Tablet"]) {
            const got = lines(await run("kdig", [...at, `+https=${path}`, ...method, NAME, "A"]));
            assert.deepEqual(got, expected, `${path} ${method.join(" ") || "POST"}`);
          }
          // kdig does ask the path it is given: a bad ClientID gets it no answer.
          const bad = await runToEnd("kdig", [
            ...at,
            "+https=/dns-query/kids_tablet",
            ...method,
            NAME,
          ]);
          assert.match(bad.stdout, /\/dns-query\/kids_tablet\)-\(status: 400\)/);
        }
        const dot = doorPort(gateway, "TLS");
        for (const host of [DOMAIN, `kids-tablet.${DOMAIN}`]) {
          const got = lines(
            await run("kdig", [
              "@127.0.0.1",
              "-p",
              `${dot}`,
              "+tls",
              `+tls-ca=${cert.certFile}`,
              `+tls-hostname=${host}`,
              "+short",
              NAME,
              "A",
            ]),
          );
          assert.deepEqual(got, expected, `DoT as ${host}`);
        }
        const base = `https://localhost:${gateway.port}`;
        const curl = async (path: string) => {
          const ran = await runToEnd("curl", [
            "-s",
            "--cacert",
            cert.certFile,
            "-w",
            "\n%{http_code}",
            `${base}${path}`,
          ]);
          return ran.stdout;
        };
        assert.equal(await curl("/dns-query/kids_tablet?dns=AAAB"), `${CLIENT_ID_RULE}\n\n400`);
        assert.match(await curl("/dns-query/kids/tablet?dns=AAAB"), /\n404$/);
        assert.match(await curl(`/resolve/kids.tablet?name=${NAME}`), /\n400$/);
        // No stranger refused (no directory), and the counts are there for every door.
        const metrics = await curl("/metrics");
        for (const door of ["doh", "json", "udp", "tcp", "dot"]) {
          assert.match(
            metrics,
            new RegExp(`\\ndns_clients_refused_total\\{door="${door}"\\} 0\\n`),
          );
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "without FFI the DoT door says at startup that it cannot read ClientIDs, and answers by address",
  ...integration(["knotd", "kdig", "openssl"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "client-id-e2e-" });
    // Deno Deploy has no UDP (and no FFI): knot is asked over TCP.
    const knot = await startKnot();
    try {
      const cert = await makeCertificate(dir, ["localhost", DOMAIN, `*.${DOMAIN}`]);
      const gateway = await startGateway({
        env: {
          ...tlsEnv(cert),
          DOT_PORT: "0",
          CLIENT_ID_DOMAIN: DOMAIN,
          UPSTREAMS: `tcp://127.0.0.1:${knot.port}`,
        },
        deployLike: true,
      });
      try {
        assert.match(
          gateway.stderr(),
          /DoT ClientIDs: off \(needs --allow-ffi\); DoT clients are known by their address\n/,
        );
        const got = await run("kdig", [
          "@127.0.0.1",
          "-p",
          `${doorPort(gateway, "TLS")}`,
          "+tls",
          `+tls-ca=${cert.certFile}`,
          `+tls-hostname=kids-tablet.${DOMAIN}`,
          "+short",
          NAME,
          "A",
        ]);
        assert.ok(lines(got).length > 0, got);
      } finally {
        await gateway.stop();
      }
    } finally {
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
