/**
 * Starting the classic doors: a taken port is one line and exit 2, a runtime without UDP runs
 * without the UDP door, and clients outside DNS_ALLOW_CIDRS get REFUSED over TCP and DoT and
 * silence over UDP.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort, tcpClient, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { healthStatus, runGateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { runToEnd } from "../support/tools.ts";

Deno.test("a DNS door on a port already taken stops startup with one line naming it", async () => {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const taken: [string, number][] = [
      ["TCP_PORT", tcp.addr.port],
      ["UDP_PORT", (udp.addr as Deno.NetAddr).port],
    ];
    for (const [variable, port] of taken) {
      const { code, stderr } = await runGateway({
        HTTP_PORT: "0",
        TCP_PORT: "0",
        UDP_PORT: "0",
        [variable]: String(port),
      });
      assert.equal(code, 2);
      assert.match(
        stderr,
        new RegExp(`^config error: DNS_HOST="127.0.0.1" ${variable}="${port}": cannot listen \\(`),
      );
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    }
  } finally {
    tcp.close();
    udp.close();
  }
});

Deno.test({
  name: "without UDP (as on Deno Deploy) the UDP door is reported off once and the rest runs",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const gateway = await startGateway({
      env: { UPSTREAMS: `tcp://127.0.0.1:${knot.port}`, UDP_PORT: "0", TCP_PORT: "0" },
      deployLike: true,
    });
    const client = await tcpClient(doorPort(gateway, "TCP"));
    try {
      const lines = gateway.stderr().split("\n").filter((line) => /UDP/.test(line));
      assert.deepEqual(lines, [
        "UDP door: off, this runtime has no UDP sockets (Deno Deploy); UDP_PORT ignored",
      ]);
      await client.send([makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 5 })]);
      const [reply] = await client.receive(1);
      assert.equal(decodeMessage(reply).answers.length, 2);
      assert.equal(await healthStatus(gateway), 200);
    } finally {
      client.close();
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
    }
  },
});

Deno.test({
  name: "clients outside DNS_ALLOW_CIDRS get REFUSED over TCP and DoT and silence over UDP",
  ...integration(["knotd", "dig", "kdig", "openssl"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "doors-allow-" });
    const knot = await startKnot();
    const cert = await makeCertificate(dir);
    const env = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      UDP_PORT: "0",
      TCP_PORT: "0",
      DOT_PORT: "0",
      ...tlsEnv(cert),
    };
    const refusing = await startGateway({
      env: { ...env, DNS_ALLOW_CIDRS: "192.0.2.0/24, 2001:db8::/32" },
    });
    const allowing = await startGateway({
      env: { ...env, DNS_ALLOW_CIDRS: "10.0.0.0/8,127.0.0.0/8" },
    });
    const www = `www.${TEST_ZONE}`;
    const run = async (command: string, args: string[]) => (await runToEnd(command, args)).stdout;
    try {
      const query = makeQuery(www, RType.A, { id: 3 });
      assert.deepEqual(await udpExchange(doorPort(refusing, "UDP"), [query]), []);
      const tcp = await run("dig", [
        "@127.0.0.1",
        "-p",
        String(doorPort(refusing, "TCP")),
        "+tcp",
        www,
      ]);
      assert.match(tcp, /status: REFUSED/);
      const dot = await run("kdig", [
        "@127.0.0.1",
        "-p",
        String(doorPort(refusing, "TLS")),
        `+tls-ca=${cert.certFile}`,
        "+tls-hostname=localhost",
        www,
      ]);
      assert.match(dot, /status: REFUSED/);
      assert.doesNotMatch(refusing.stderr(), /warning/, "loopback doors need no warning");

      const [reply] = await udpExchange(doorPort(allowing, "UDP"), [query]);
      assert.equal(decodeMessage(reply).header.rcode, Rcode.NOERROR);
      assert.equal(decodeMessage(reply).answers.length, 2);
    } finally {
      await refusing.stop();
      await allowing.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
