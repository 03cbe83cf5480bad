/**
 * The real gateway with a records file, in front of knot (the test zone) and a second knot
 * serving corp.example (a forward zone), asked by real DoH clients (kdig, dig): local names,
 * reverse lookups and patterns answered from the file, authoritative and ahead of the
 * blocklist; other names from the upstreams; edits loaded while it runs; a broken file kept
 * out with one line saying why; and a broken file at startup a config error.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { eventually } from "../support/eventually.ts";
import { doorPort } from "../support/dns_clients.ts";
import { runGateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE, testZoneText } from "../support/test_zone.ts";
import { makeCertificate, tlsEnv } from "../support/tls.ts";
import { lines, run } from "../support/tools.ts";

const CORP_ZONE = "corp.example";

function recordsText(corpPort: number): string {
  return `# the seeds' examples
example.com     A  1.2.3.4
1.2.3.5         example.com  example.my
www.google.com  A  192.168.55.66

# a pattern, and a zone whose other names go to another server
workstation<n:0-255>.mohit.com  A  172.16.2.<n>
${CORP_ZONE}    FORWARD  udp://127.0.0.1:${corpPort}
`;
}

Deno.test({
  name: "DoH clients get local records, reverse names and patterns; other names go upstream",
  ...integration(["knotd", "kdig", "dig", "openssl"]),
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "records-e2e-" });
    const knot = await startKnot();
    const corp = await startKnot({
      origin: CORP_ZONE,
      zoneText: testZoneText({ origin: CORP_ZONE, httpAddress: "127.0.0.77" }),
    });
    const cert = await makeCertificate(dir);
    const recordsFile = `${dir}/records.txt`;
    await Deno.writeTextFile(recordsFile, recordsText(corp.port));
    const blockFile = `${dir}/block.txt`;
    await Deno.writeTextFile(blockFile, `example.com\nmail.${TEST_ZONE}\n`);
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        RECORDS_FILE: recordsFile,
        BLOCKLIST_URLS: `block=${blockFile}`,
        ...tlsEnv(cert),
        UDP_PORT: "0",
      },
    });
    const kdig = (...args: string[]) =>
      run("kdig", ["@127.0.0.1", "-p", String(gateway.port), "+https", ...args]);
    const dig = (...args: string[]) =>
      run("dig", ["@127.0.0.1", "-p", String(gateway.port), "+https", ...args]);
    try {
      assert.match(
        gateway.stderr(),
        new RegExp(
          `records: ${recordsFile}: 4 records, 1 pattern, 0 local zones, 1 forward zone\n`,
        ),
      );
      await eventually(() => {
        assert.match(gateway.stderr(), /blocklist block: file, 2 block/);
        return Promise.resolve();
      }, 10_000);

      await t.step(
        "example.com is 1.2.3.4 and 1.2.3.5, authoritative, though a list blocks it",
        async () => {
          for (const client of [kdig, dig]) {
            assert.deepEqual(lines(await client("+short", "example.com", "A")), [
              "1.2.3.4",
              "1.2.3.5",
            ]);
          }
          assert.match(await kdig("example.com", "A"), /Flags: qr aa rd ra;/);
          assert.match(await dig("mail.test.example", "A"), /status: NXDOMAIN/, "the list is on");
        },
      );

      await t.step("example.my is 1.2.3.5", async () => {
        assert.deepEqual(lines(await kdig("+short", "example.my", "A")), ["1.2.3.5"]);
        assert.deepEqual(lines(await dig("+short", "Example.MY.", "A")), ["1.2.3.5"]);
      });

      await t.step("1.2.3.5 reverses to example.com. and example.my.", async () => {
        for (const client of [kdig, dig]) {
          assert.deepEqual(lines(await client("+short", "-x", "1.2.3.5")), [
            "example.com.",
            "example.my.",
          ]);
        }
        assert.deepEqual(lines(await kdig("+short", "-x", "1.2.3.4")), ["example.com."]);
      });

      await t.step(
        "www.google.com is 192.168.55.66 and a known name's other types are NODATA",
        async () => {
          assert.deepEqual(lines(await dig("+short", "www.google.com", "A")), ["192.168.55.66"]);
          const aaaa = await kdig("www.google.com", "AAAA");
          assert.match(aaaa, /status: NOERROR/);
          assert.match(aaaa, /ANSWER: 0/);
          assert.match(
            aaaa,
            /www\.google\.com\.\s+60\s+IN\s+SOA\s+www\.google\.com\. hostmaster\.www\.google\.com\./,
          );
        },
      );

      await t.step(
        "workstation123.mohit.com is 172.16.2.123; workstation300 does not exist",
        async () => {
          assert.deepEqual(lines(await kdig("+short", "workstation123.mohit.com")), [
            "172.16.2.123",
          ]);
          assert.deepEqual(lines(await dig("+short", "workstation7.mohit.com")), ["172.16.2.7"]);
          assert.match(await dig("workstation300.mohit.com"), /status: NXDOMAIN/);
        },
      );

      await t.step("the seeds' examples over the UDP door, asked with plain dig", async () => {
        const udp = (...args: string[]) =>
          run("dig", ["@127.0.0.1", "-p", String(doorPort(gateway, "UDP")), ...args]);
        assert.deepEqual(lines(await udp("+short", "example.com", "A")), ["1.2.3.4", "1.2.3.5"]);
        assert.match(await udp("example.com", "A"), /flags: qr aa rd ra;/);
        assert.deepEqual(lines(await udp("+short", "example.my", "A")), ["1.2.3.5"]);
        assert.deepEqual(lines(await udp("+short", "-x", "1.2.3.5")), [
          "example.com.",
          "example.my.",
        ]);
        assert.deepEqual(lines(await udp("+short", "www.google.com", "A")), ["192.168.55.66"]);
        assert.deepEqual(lines(await udp("+short", "workstation123.mohit.com")), ["172.16.2.123"]);
        assert.match(await udp("workstation300.mohit.com"), /status: NXDOMAIN/);
        assert.deepEqual(lines(await udp("+short", `www.${TEST_ZONE}`, "A")), [
          "192.0.2.1",
          "192.0.2.2",
        ]);
        const log = await gateway.waitForStdout(/"door":"udp","name":"www\.test\.example"/);
        assert.match(log, /"door":"udp","name":"example\.my","type":"A","source":"local"/);
      });

      await t.step("unknown names fall through to the upstream's test zone", async () => {
        assert.deepEqual(lines(await kdig("+short", `www.${TEST_ZONE}`, "A")), [
          "192.0.2.1",
          "192.0.2.2",
        ]);
      });

      await t.step("names in the forward zone are asked of the other server", async () => {
        assert.deepEqual(lines(await dig("+short", `www.${CORP_ZONE}`, "A")), [
          "127.0.0.77",
          "192.0.2.2",
        ]);
        assert.deepEqual(lines(await kdig("+short", `${CORP_ZONE}`, "MX")), [
          `10 mail.${CORP_ZONE}.`,
        ]);
      });

      await t.step(
        "the query log says which answers were local and which upstream answered",
        async () => {
          const log = await gateway.waitForStdout(/"name":"www\.corp\.example"/);
          const entries = log.trim().split("\n").map((line) => JSON.parse(line));
          const local = entries.find((e) => e.name === "example.my");
          assert.equal(local.source, "local");
          assert.equal(local.upstream, undefined);
          const routed = entries.find((e) => e.name === `www.${CORP_ZONE}`);
          assert.equal(routed.source, "upstream");
          assert.equal(routed.upstream, `udp://127.0.0.1:${corp.port}`);
          const fallen = entries.find((e) => e.name === `www.${TEST_ZONE}`);
          assert.equal(fallen.upstream, `udp://127.0.0.1:${knot.port}`);
        },
      );

      await t.step("an edit to the file answers the next query", async () => {
        await Deno.writeTextFile(
          recordsFile,
          recordsText(corp.port) + "new.example  A  10.9.9.9\nexample.my  A  1.2.3.6\n",
        );
        await eventually(async () => {
          assert.deepEqual(lines(await kdig("+short", "new.example")), ["10.9.9.9"]);
        }, 5000);
        assert.deepEqual(lines(await kdig("+short", "example.my")), ["1.2.3.5", "1.2.3.6"]);
        assert.match(
          gateway.stderr(),
          new RegExp(
            `records: reloaded ${recordsFile}: 6 records, 1 pattern, 0 local zones, 1 forward zone\n`,
          ),
        );
      });

      await t.step("a broken file keeps the last good records, and stderr says why", async () => {
        await Deno.writeTextFile(recordsFile, "new.example  A  10.9.9.10\nexample.my  A  1.2.3\n");
        const line =
          `records: ${recordsFile}:2:16: "1.2.3" is not an IPv4 address; keeping the last good records\n`;
        await eventually(() => {
          assert.ok(gateway.stderr().includes(line), gateway.stderr());
          return Promise.resolve();
        }, 5000);
        assert.deepEqual(lines(await kdig("+short", "new.example")), ["10.9.9.9"]);
        assert.deepEqual(lines(await dig("+short", "-x", "1.2.3.5")), [
          "example.com.",
          "example.my.",
        ]);
      });
    } finally {
      await gateway.stop();
      await corp.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a records file with a mistake stops startup with one line naming line and column", async () => {
  const dir = await Deno.makeTempDir({ prefix: "records-startup-" });
  try {
    const file = `${dir}/records.txt`;
    await Deno.writeTextFile(file, "example.com A 1.2.3.4\nexample.my AAAA 1.2.3.5\n");
    const bad = await runGateway({ HTTP_PORT: "0", RECORDS_FILE: file });
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      `config error: RECORDS_FILE="${file}": line 2, column 17: "1.2.3.5" is not an IPv6 address\n`,
    );
    const missing = await runGateway({ HTTP_PORT: "0", RECORDS_FILE: `${dir}/none.txt` });
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^config error: RECORDS_FILE=".*\/none\.txt": cannot read the file \(/,
    );
    assert.equal(missing.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
