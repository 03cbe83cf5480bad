/**
 * A household through the real gateway, every part real: a profiles file, knot as the default
 * upstream, a second knot as the kids' own upstream (serving google.com with its safe-search
 * endpoint), and clients at each door. The kids' tablet, by its ClientID over DoH (GET and
 * POST) and the JSON API, and by its address over plain UDP, is blocked from a name the
 * parents' laptop gets, told so by EDE 15 naming its profile, and given Google's safe endpoint
 * from its own upstream.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { dnsParam } from "../support/doh.ts";
import { extendedError } from "../support/ede.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { GOOGLE_ZONE } from "../support/safe_search_zone.ts";

const PAGE = `www.${TEST_ZONE}`;

Deno.test({
  name:
    "a household: the kids' tablet is blocked and kept to safe search at every door, the laptop not",
  ...integration(["knotd", "knotc"]),
  async fn() {
    const home = await startKnot();
    const google = await startKnot({ origin: "google.com", zoneText: GOOGLE_ZONE });
    const dir = await Deno.makeTempDir({ prefix: "household-" });
    const profiles = `${dir}/profiles.yaml`;
    await Deno.writeTextFile(
      profiles,
      `profiles:
  family: {}
  kids:
    block: [${PAGE}]
    safe_search: true
    upstreams: [udp://127.0.0.1:${google.port}]
clients:
  Kids' tablet:
    profile: kids
    ids: [kids-tablet]
    addresses: [127.0.0.2]
  Parents' laptop:
    profile: family
    ids: [parents-laptop]
`,
    );
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${home.port}`,
        PROFILES_FILE: profiles,
        UDP_PORT: "0",
      },
    });
    try {
      // What a device with its own URL sends: https://<host>/dns-query/<clientid>.
      const ask = async (clientId: string, name: string, method: "GET" | "POST") => {
        const query = makeQuery(name, RType.A, { edns: {} });
        const url = `${gateway.url}/dns-query/${clientId}`;
        const response = method === "GET"
          ? await fetch(`${url}?dns=${dnsParam(query)}`)
          : await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/dns-message" },
            body: query,
          });
        assert.equal(response.status, 200);
        return { reply: decodeMessage(new Uint8Array(await response.arrayBuffer())) };
      };
      for (const method of ["GET", "POST"] as const) {
        const family = await ask("parents-laptop", PAGE, method);
        assert.equal(family.reply.header.rcode, Rcode.NOERROR, method);
        assert.ok(family.reply.answers.length > 0);
        const kids = await ask("kids-tablet", PAGE, method);
        assert.equal(kids.reply.header.rcode, Rcode.NXDOMAIN, method);
        assert.match(
          extendedError(kids.reply)?.text ?? "",
          new RegExp(`^Blocked \\(kids: .*${PAGE}\\)$`),
        );
      }
      // The JSON API by the same ClientID: Google's safe endpoint, from the kids' own upstream.
      const json =
        await (await fetch(`${gateway.url}/resolve/kids-tablet?name=www.google.com&type=A`))
          .json();
      assert.deepEqual(json.Answer.map((a: { type: number; data: string }) => [a.type, a.data]), [
        [RType.CNAME, "forcesafesearch.google.com."],
        [RType.A, "216.239.38.120"],
      ]);
      assert.equal(await google.queryCount() > 0, true, "the kids' upstream was asked");
      // Plain DNS over UDP knows the tablet by its address.
      const port = doorPort(gateway, "UDP");
      const [fromTablet] = await udpExchange(
        port,
        [makeQuery(PAGE, RType.A, { id: 7 })],
        300,
        "127.0.0.2",
      );
      assert.equal(decodeMessage(fromTablet).header.rcode, Rcode.NXDOMAIN);
      const [fromElsewhere] = await udpExchange(port, [makeQuery(PAGE, RType.A, { id: 8 })], 300);
      assert.equal(decodeMessage(fromElsewhere).header.rcode, Rcode.NOERROR);
      // The log names who asked and the profile it was answered under.
      const out = await gateway.waitForStdout((text) => text.split("\n").length > 8);
      const lines = out.trim().split("\n").map((line) => JSON.parse(line));
      const kidsLines = lines.filter((line) => line.clientName === "Kids' tablet");
      assert.ok(kidsLines.length >= 4);
      assert.ok(kidsLines.every((line) => line.profile === "kids"));
      assert.ok(
        lines.some((line) => line.clientName === "Parents' laptop" && line.profile === "family"),
      );
    } finally {
      await gateway.stop();
      await google.stop();
      await home.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
