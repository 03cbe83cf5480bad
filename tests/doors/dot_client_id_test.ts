/**
 * DoT with the ClientID in the server name (doors/server_name.ts): kdig asks for
 * `<clientid>.dns.test` against a certificate made here for the wildcard, and the query is
 * answered, and logged, under that client's profile and name; the door's own host name gives
 * none; with only known clients answered, an unknown one is REFUSED and counted.
 */
import assert from "node:assert/strict";
import { listenDot } from "../../doors/dot.ts";
import { clientIdInServerName } from "../../doors/server_name.ts";
import type { StreamDoor } from "../../doors/tcp.ts";
import { ClientRefusals } from "../../net/rate_limit.ts";
import type { ClientDirectory } from "../../pipeline/profile.ts";
import type { Resolver } from "../../pipeline/resolver.ts";
import { integration } from "../support/binaries.ts";
import {
  FAMILY_ADDRESS,
  profileResolver,
  SPLIT_NAME,
  testDirectory,
} from "../support/client_ids.ts";
import { makeCertificate, type TestCertificate } from "../support/tls.ts";
import { runToEnd } from "../support/tools.ts";

const DOMAIN = "dns.test";

Deno.test("a server name one label longer than the domain names a ClientID; nothing else does", () => {
  assert.equal(clientIdInServerName("kids-tablet.dns.test", DOMAIN), "kids-tablet");
  for (
    const name of ["dns.test", "a.b.dns.test", "xdns.test", "kids_1.dns.test", "dns.test.evil"]
  ) {
    assert.equal(clientIdInServerName(name, DOMAIN), undefined, name);
  }
  assert.equal(clientIdInServerName(undefined, DOMAIN), undefined);
});

async function withDot(
  directory: ClientDirectory,
  body: (
    ask: (serverName: string) => Promise<string>,
    log: ReturnType<typeof profileResolver>["log"],
    door: StreamDoor,
  ) => Promise<void>,
  refusals?: ClientRefusals,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  let door: StreamDoor | undefined;
  try {
    const cert: TestCertificate = await makeCertificate(dir, [DOMAIN, `*.${DOMAIN}`]);
    const { resolver, log } = profileResolver(directory);
    door = listenDot({
      hostname: "127.0.0.1",
      port: 0,
      resolver: resolver as Pick<Resolver, "resolve">,
      cert: cert.cert,
      key: cert.key,
      maxConnections: 10,
      maxPerClient: 10,
      idleTimeoutMs: 5000,
      maxInFlight: 10,
      clientIdDomain: DOMAIN,
      directory,
      refusals,
    });
    const port = door.addr.port;
    const ask = async (serverName: string) => {
      const ran = await runToEnd("kdig", [
        "@127.0.0.1",
        "-p",
        `${port}`,
        "+tls",
        `+tls-ca=${cert.certFile}`,
        `+tls-hostname=${serverName}`,
        "+short",
        "+timeout=3",
        "+retry=0",
        SPLIT_NAME,
        "A",
      ]);
      assert.ok(ran.success, ran.stderr);
      return ran.stdout;
    };
    await body(ask, log, door);
  } finally {
    await door?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "kdig naming <clientid>.<domain> is answered and logged under that client's profile",
  ...integration(["kdig", "openssl"]),
  fn: () =>
    withDot(testDirectory(false), async (ask, log, door) => {
      assert.equal(door.serverNameStatus, "on");
      // Several rounds, each a fresh connection: the name is read every time, not by luck.
      for (let round = 0; round < 4; round++) {
        assert.equal(await ask("Kids-Tablet.dns.test"), "", `round ${round}: kids get NXDOMAIN`);
        const kids = log.recent().at(-1)!;
        assert.deepEqual([kids.door, kids.profile, kids.clientName], [
          "dot",
          "kids",
          "Kids' tablet",
        ]);
        assert.equal((await ask("laptop.dns.test")).trim(), FAMILY_ADDRESS, `round ${round}`);
        assert.equal(log.recent().at(-1)!.clientName, "Laptop");
        assert.equal((await ask(DOMAIN)).trim(), FAMILY_ADDRESS, "the domain itself: no ClientID");
        const plain = log.recent().at(-1)!;
        assert.deepEqual([plain.profile, plain.clientName], ["default", undefined]);
      }
    }),
});

Deno.test({
  name:
    "with only known clients answered, a DoT client naming an unknown ClientID is REFUSED and counted",
  ...integration(["kdig", "openssl"]),
  fn: async () => {
    const refusals = new ClientRefusals();
    await withDot(testDirectory(true), async (ask, log) => {
      assert.equal(await ask("nobody.dns.test"), "");
      assert.equal(log.recent().at(-1)?.rcode, 5, "REFUSED");
      assert.equal(refusals.counts.dot, 1);
      assert.equal(await ask(DOMAIN), "", "no ClientID, an address no range maps");
      assert.equal(refusals.counts.dot, 2);
      assert.equal(await ask("Kids-Tablet.dns.test"), "");
      assert.equal(log.recent().at(-1)?.clientName, "Kids' tablet");
      assert.equal(refusals.counts.dot, 2);
    }, refusals);
  },
});
