/**
 * Connection floods against the real gateway's TCP and DoT doors, knot behind it: raw connects
 * that never send a ClientHello or send half of one, and one client opening hundreds of
 * connections. The doors' bounds hold (their sockets are given back, counted in
 * /proc/<pid>/fd) and other clients are answered meanwhile.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { socketCount, socketsSettle } from "../support/process_sockets.ts";
import { closeAll, openConnections } from "../support/raw_connections.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { runToEnd } from "../support/tools.ts";

/** The start of a TLS record holding a ClientHello, and no more of it. */
const PARTIAL_CLIENT_HELLO = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]);

/** `dig` from `source` (a loopback address of its own) to one door; its answer lines. */
async function dig(source: string, args: string[]): Promise<string> {
  const digArgs = ["-b", source, "+short", "+tries=1", "+time=3", ...args, `www.${TEST_ZONE}`, "A"];
  const { stdout } = await runToEnd("dig", digArgs);
  return stdout.trim();
}

Deno.test({
  name:
    "DoT connects that never finish a handshake are closed at TCP_IDLE_SECONDS and give back their sockets",
  ...integration(["knotd", "dig", "openssl"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dot-flood-" });
    const knot = await startKnot();
    const cert = await makeCertificate(dir);
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        DOT_PORT: "0",
        ...tlsEnv(cert),
        TCP_IDLE_SECONDS: "1",
        TCP_MAX_CONNECTIONS: "100",
        TCP_MAX_PER_CLIENT: "1000",
      },
    });
    const flood: Deno.Conn[] = [];
    try {
      const port = doorPort(gateway, "TLS");
      const before = socketCount(gateway.pid);
      for (let wave = 0; wave < 2; wave++) {
        flood.push(
          ...await openConnections(port, 150),
          ...await openConnections(port, 50, PARTIAL_CLIENT_HELLO),
        );
        // Accepted by now, and those shed to make room reaped.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const during = socketCount(gateway.pid) - before;
        assert.ok(during >= 50 && during <= 100 + 5, `held during wave ${wave}: ${during}`);
        // Still held open by the client: only the gateway can end them.
        const after = await socketsSettle(gateway.pid, (count) => count <= before + 2, 4000);
        assert.ok(after <= before + 2, `sockets after wave ${wave}: ${before} → ${after}`);
      }
      const tls = [
        "-p",
        String(port),
        "+tls",
        `+tls-ca=${cert.certFile}`,
        "+tls-hostname=localhost",
      ];
      assert.equal(await dig("127.0.0.1", ["@127.0.0.1", ...tls]), "192.0.2.1\n192.0.2.2");
    } finally {
      closeAll(flood);
      await gateway.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "one client holding hundreds of TCP connections gets TCP_MAX_PER_CLIENT; others are answered",
  ...integration(["knotd", "dig"]),
  async fn() {
    const knot = await startKnot();
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        TCP_PORT: "0",
        TCP_MAX_CONNECTIONS: "100",
        TCP_MAX_PER_CLIENT: "20",
      },
    });
    const flood: Deno.Conn[] = [];
    try {
      const port = doorPort(gateway, "TCP");
      const before = socketCount(gateway.pid);
      flood.push(...await openConnections(port, 300));
      const held = await socketsSettle(gateway.pid, (count) => count <= before + 20, 2000);
      assert.ok(held <= before + 20, `the flooding client holds ${held - before} connections`);
      const tcp = ["@127.0.0.1", "-p", String(port), "+tcp"];
      assert.equal(await dig("127.0.0.2", tcp), "192.0.2.1\n192.0.2.2");
      assert.equal(await dig("127.0.0.3", tcp), "192.0.2.1\n192.0.2.2");
    } finally {
      closeAll(flood);
      await gateway.stop();
      await knot.stop();
    }
  },
});
