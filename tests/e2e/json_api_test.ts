/**
 * The JSON API of the real gateway in front of knot: for every record type of the test zone,
 * /resolve gives the records the DoH door gives (decoded from the wire), with `data` the very
 * text kdig prints asking knot directly; the README's curl examples work as written; local
 * records, blocking and caching apply as on the DoH door; bad requests are 400 with a reason.
 */
import assert from "node:assert/strict";
import { parseTypeName, presentName, presentRdata, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE, TEST_ZONE_TYPES } from "../support/test_zone.ts";
import { lines, run } from "../support/tools.ts";

interface JsonRecord {
  name: string;
  type: number;
  TTL: number;
  data: string;
}

const fqdn = (label: string) => (label === "" ? TEST_ZONE : `${label}.${TEST_ZONE}`);

Deno.test({
  name: "the JSON API answers every record type as the DoH door does, in kdig's presentation",
  ...integration(["knotd", "kdig", "curl"]),
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "json-e2e-" });
    const knot = await startKnot();
    const recordsFile = `${dir}/records.txt`;
    await Deno.writeTextFile(recordsFile, "example.com A 1.2.3.4\nexample.com A 1.2.3.5\n");
    const blockFile = `${dir}/block.txt`;
    await Deno.writeTextFile(blockFile, `mail.${TEST_ZONE}\n`);
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        RECORDS_FILE: recordsFile,
        BLOCKLIST_URLS: `block=${blockFile}`,
      },
    });
    const curl = (...args: string[]) => run("curl", ["--silent", "--show-error", ...args]);
    try {
      await t.step("every type: the DoH door's records, and the text kdig prints", async () => {
        for (const [label, typeText] of TEST_ZONE_TYPES) {
          const name = fqdn(label);
          const type = parseTypeName(typeText)!;
          const response = await fetch(`${gateway.url}/resolve?name=${name}&type=${typeText}`);
          assert.equal(response.status, 200);
          const json = await response.json();
          assert.equal(json.Status, 0, `${name} ${typeText}`);
          assert.deepEqual(json.Question, [{ name: `${name}.`, type }]);
          // The DoH door's answer records for the same question, decoded from the wire.
          const wire = (await askDoh(gateway.url, name, type, { edns: {} })).reply.answers;
          assert.equal(json.Answer.length, wire.length, `${name} ${typeText}`);
          json.Answer.forEach((record: JsonRecord, i: number) => {
            assert.equal(record.name, presentName(wire[i].name));
            assert.equal(record.type, wire[i].type);
            assert.equal(record.data, presentRdata(wire[i].type, wire[i].data));
            assert.ok(Math.abs(record.TTL - wire[i].ttl) <= 1, "the same cached TTL, aged");
          });
          const kdig = await run("kdig", [
            "@127.0.0.1",
            "-p",
            String(knot.port),
            "+tcp",
            "+short",
            name,
            typeText,
          ]);
          assert.deepEqual(
            json.Answer.map((record: JsonRecord) => record.data).sort(),
            lines(kdig),
            `${name} ${typeText}`,
          );
        }
      });

      await t.step("the README's curl examples", async () => {
        const google = JSON.parse(
          await curl(`${gateway.url}/resolve?name=www.${TEST_ZONE}&type=AAAA`),
        );
        assert.deepEqual(google.Answer, [
          { name: `www.${TEST_ZONE}.`, type: 28, TTL: google.Answer[0].TTL, data: "2001:db8::1" },
        ]);
        const cloudflare = JSON.parse(
          await curl(
            "-H",
            "accept: application/dns-json",
            `${gateway.url}/dns-query?name=example.com&type=A`,
          ),
        );
        assert.deepEqual(cloudflare.Answer.map((r: { data: string }) => r.data), [
          "1.2.3.4",
          "1.2.3.5",
        ]);
        const headers = await curl("-i", `${gateway.url}/resolve?name=example..com`);
        assert.match(headers, /^HTTP\/1\.1 400 /);
        assert.match(
          headers,
          /\r\n\r\n\{"error":"invalid name \\"example\.\.com\\": empty label"\}$/,
        );
      });

      await t.step("local records, blocking and the cache apply to the JSON door", async () => {
        const local = await (await fetch(`${gateway.url}/resolve?name=EXAMPLE.com.`)).json();
        assert.deepEqual(local.Answer.map((r: { data: string }) => r.data), ["1.2.3.4", "1.2.3.5"]);
        await assertEventuallyBlocked(gateway);
        const log = await gateway.waitForStdout(/"door":"json","name":"mail\.test\.example"/);
        const entries = log.trim().split("\n").map((line) => JSON.parse(line))
          .filter((entry) => entry.door === "json");
        assert.equal(entries.find((e) => e.name === "example.com").source, "local");
        const www = entries.filter((e) => e.name === `www.${TEST_ZONE}` && e.type === "AAAA");
        assert.deepEqual(www.map((e) => e.source), ["upstream", "cache"]);
      });
    } finally {
      await gateway.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The blocklist loads in the background; once in, a listed name is NXDOMAIN with EDE 15. */
function assertEventuallyBlocked(gateway: Gateway): Promise<void> {
  return eventually(async () => {
    const json = await (await fetch(`${gateway.url}/resolve?name=mail.${TEST_ZONE}`)).json();
    assert.equal(json.Status, 3);
    assert.deepEqual(json.Comment, [`EDE(15): Blocked (block: mail.${TEST_ZONE})`]);
    assert.equal(json.Authority[0].type, RType.SOA);
  }, 10_000);
}
