/**
 * The real gateway over HTTPS (HTTP/2), its upstream a real knot serving the test zone over
 * UDP on loopback, queried by real DoH clients: kdig, dig and curl.
 */
import assert from "node:assert/strict";
import { decodeMessage, RType, typeName } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { askDoh, dnsParam } from "../support/doh.ts";
import { startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE, TEST_ZONE_TYPES, testZoneText } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { lines, run } from "../support/tools.ts";

const fqdn = (label: string) => (label === "" ? TEST_ZONE : `${label}.${TEST_ZONE}`);

Deno.test({
  name: "DoH clients get every record type through the gateway exactly as the upstream serves it",
  ...integration(["knotd", "kdig", "dig", "curl", "openssl"]),
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "doh-e2e-" });
    const web = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("hello from the test zone\n"),
    );
    const knot = await startKnot({ zoneText: testZoneText({ httpAddress: "127.0.0.1" }) });
    const cert = await makeCertificate(dir);
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        // www points to the test's web server on loopback: a private answer for this zone.
        REBIND_ALLOW: TEST_ZONE,
        ...tlsEnv(cert),
      },
    });
    const gw = ["@127.0.0.1", "-p", String(gateway.port)];
    const direct = ["@127.0.0.1", "-p", String(knot.port), "+tcp"];
    try {
      const clients: [string, string, string[]][] = [
        ["kdig +https (POST)", "kdig", [...gw, "+https"]],
        ["kdig +https-get (GET)", "kdig", [...gw, "+https", "+https-get"]],
        ["dig +https (POST)", "dig", [...gw, "+https"]],
        ["dig +https-get (GET)", "dig", [...gw, "+https-get"]],
      ];
      // Each tool prints presentation format its own way (dig quotes alpn, kdig does not), so
      // each client is compared with the same tool asking knot directly over TCP.
      const expected = new Map<string, string[]>();
      for (const command of ["kdig", "dig"]) {
        for (const [label, type] of TEST_ZONE_TYPES) {
          const answer = lines(await run(command, [...direct, "+short", fqdn(label), type]));
          assert.ok(answer.length > 0, `the test zone should hold ${type} at ${fqdn(label)}`);
          expected.set(`${command} ${label}/${type}`, answer);
        }
      }
      for (const [title, command, args] of clients) {
        await t.step(`${title} gets every record type intact`, async () => {
          for (const [label, type] of TEST_ZONE_TYPES) {
            const got = lines(await run(command, [...args, "+short", fqdn(label), type]));
            assert.deepEqual(
              got,
              expected.get(`${command} ${label}/${type}`),
              `${title} ${fqdn(label)} ${type}`,
            );
          }
        });
      }

      await t.step(
        "kdig +https padding its queries as browsers do gets every type intact, padded to 468",
        async () => {
          // Twice: the second answer comes from the cache, padded from its bytes.
          const padded = [...gw, "+https", "+alignment=128"];
          for (let pass = 0; pass < 2; pass++) {
            for (const [label, type] of TEST_ZONE_TYPES) {
              const got = lines(await run("kdig", [...padded, "+short", fqdn(label), type]));
              assert.deepEqual(got, expected.get(`kdig ${label}/${type}`), `${label}/${type}`);
            }
          }
          const full = await run("kdig", [...padded, `www.${TEST_ZONE}`, "A"]);
          assert.match(full, /PADDING: \d+ B/, "the answer carries a padding option");
          const received = /Received (\d+) B/.exec(full);
          assert.ok(received, full);
          assert.equal(Number(received[1]) % 468, 0, `answer of ${received[1]} bytes`);
        },
      );

      await t.step(
        "kdig +https gets a TXT set over 1232 bytes whole (upstream TC → TCP)",
        async () => {
          const viaGateway = await run("kdig", [...gw, "+https", `big.${TEST_ZONE}`, "TXT"]);
          assert.match(viaGateway, /status: NOERROR/);
          assert.doesNotMatch(viaGateway, /flags:[^;]*\btc\b/i);
          const viaUdp = await run("kdig", [
            "@127.0.0.1",
            "-p",
            String(knot.port),
            "+notcp",
            "+bufsize=1232",
            "+ignore",
            `big.${TEST_ZONE}`,
            "TXT",
          ]);
          assert.match(viaUdp, /flags:[^;]*\btc\b/i, "knot should truncate the set over UDP");
          const want = lines(await run("kdig", [...direct, "+short", `big.${TEST_ZONE}`, "TXT"]));
          const got = lines(
            await run("kdig", [...gw, "+https", "+short", `big.${TEST_ZONE}`, "TXT"]),
          );
          assert.deepEqual(got, want);
          assert.ok(want.join("").length > 1232);
        },
      );

      await t.step(
        "curl --doh-url fetches a page whose name only the test zone knows",
        async () => {
          const port = web.addr.port;
          const page = await run("curl", [
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--doh-url",
            `${gateway.url.replace("http:", "https:")}/dns-query`,
            "--doh-insecure",
            `http://www.${TEST_ZONE}:${port}/`,
          ]);
          assert.equal(page, "hello from the test zone\n");
        },
      );

      await t.step("the door speaks HTTP/2 over TLS", async () => {
        const b64 = dnsParam(makeQuery(`www.${TEST_ZONE}`, RType.A));
        const version = await run("curl", [
          "--silent",
          "--insecure",
          "--http2",
          "--output",
          "/dev/null",
          "--write-out",
          "%{http_version}",
          `${gateway.url}/dns-query?dns=${b64}`,
        ]);
        assert.equal(version, "2");
      });

      await t.step("any transaction ID comes back unchanged", async () => {
        const client = Deno.createHttpClient({ caCerts: [cert.cert] });
        try {
          for (const id of [0, 1, 0x1234, 0xffff]) {
            const { reply, cacheControl } = await askDoh(
              `https://localhost:${gateway.port}`,
              `www.${TEST_ZONE}`,
              RType.A,
              { id, client },
            );
            assert.match(cacheControl ?? "", /^max-age=\d+$/);
            assert.equal(reply.header.id, id);
            assert.ok(reply.answers.length > 0);
          }
        } finally {
          client.close();
        }
      });

      await t.step(
        "the README's curl POST and GET return the answer with the client's ID",
        async () => {
          const query = makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 0x4d2 });
          const file = `${dir}/q.bin`;
          await Deno.writeFile(file, query);
          const curl = async (args: string[]) => {
            const output = await new Deno.Command("curl", {
              args: ["--silent", "--show-error", "--fail", "--insecure", ...args],
              stdin: "null",
            }).output();
            assert.ok(output.success, new TextDecoder().decode(output.stderr));
            return decodeMessage(output.stdout);
          };
          const posted = await curl([
            "-H",
            "content-type: application/dns-message",
            "--data-binary",
            `@${file}`,
            `${gateway.url}/dns-query`,
          ]);
          const got = await curl([`${gateway.url}/dns-query?dns=${dnsParam(query)}`]);
          for (const reply of [posted, got]) {
            assert.equal(reply.header.id, 0x4d2);
            assert.deepEqual(reply.answers.map((r) => r.data), [
              { address: "127.0.0.1" },
              { address: "192.0.2.2" },
            ]);
          }
        },
      );

      await t.step("every query is in the JSON-lines query log with its upstream", async () => {
        const entries = (await gateway.waitForStdout(/"name":"www\.test\.example","type":"A"/))
          .trim().split("\n").map((line) => JSON.parse(line));
        const www = entries.find((e) => e.name === `www.${TEST_ZONE}` && e.type === typeName(1));
        assert.ok(www, "a log line for www A");
        assert.equal(www.source, "upstream");
        assert.equal(www.upstream, `udp://127.0.0.1:${knot.port}`);
        assert.equal(www.door, "doh");
      });
    } finally {
      await gateway.stop();
      await knot.stop();
      await web.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
