/**
 * Names with characters a zone file reads specially, and IPv4-mapped IPv6 addresses, as the
 * real gateway prints them in front of knot: the JSON API's names and `data`, and the query
 * log, in the very text kdig prints (RFC 1035 §5.1 escapes, RFC 5952 §5), so they read back.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { smallZoneText, TEST_ZONE } from "../support/test_zone.ts";
import { run } from "../support/tools.ts";

/** A label with every special character, a space and a backslash, in zone-file text. */
const ODD_LABEL = 'all\\;\\(\\)\\"\\@\\$\\032\\\\x';

const ZONE = smallZoneText([
  "_sip.semi\\;colon._tcp A 192.0.2.5",
  `odd CNAME ${ODD_LABEL}`,
  `${ODD_LABEL} A 192.0.2.6`,
  "mapped AAAA ::ffff:192.0.2.1",
]);

interface JsonAnswer {
  Question: { name: string }[];
  Answer: { name: string; data: string }[];
}

Deno.test({
  name: "the JSON API and the query log print escaped names and mapped addresses as kdig does",
  ...integration(["knotd", "kdig"]),
  async fn() {
    await withKnotGateway({ knot: { zoneText: ZONE } }, async (gateway, knot) => {
      const kdig = async (name: string, type: string) =>
        (await run("kdig", ["@127.0.0.1", "-p", String(knot.port), "+short", name, type])).trim();
      const resolve = async (name: string, type: string): Promise<JsonAnswer> => {
        const query = new URLSearchParams({ name, type });
        const response = await fetch(`${gateway.url}/resolve?${query}`);
        assert.equal(response.status, 200);
        return await response.json();
      };
      const sip = `_sip.semi\\;colon._tcp.${TEST_ZONE}.`;
      // Asked as a user types it, the ";" unescaped: the answer names it escaped.
      const semi = await resolve(`_sip.semi;colon._tcp.${TEST_ZONE}`, "A");
      assert.equal(semi.Question[0].name, sip);
      assert.deepEqual(semi.Answer.map((r) => [r.name, r.data]), [[sip, "192.0.2.5"]]);
      const odd = await resolve(`odd.${TEST_ZONE}`, "CNAME");
      assert.equal(odd.Answer[0].data, `${ODD_LABEL}.${TEST_ZONE}.`);
      assert.equal(odd.Answer[0].data, await kdig(`odd.${TEST_ZONE}`, "CNAME"));
      // The printed name reads back as the same name: asking for it finds its record.
      const back = await resolve(odd.Answer[0].data, "A");
      assert.deepEqual(back.Answer.map((r) => [r.name, r.data]), [[
        odd.Answer[0].data,
        "192.0.2.6",
      ]]);
      const mapped = await resolve(`mapped.${TEST_ZONE}`, "AAAA");
      assert.equal(mapped.Answer[0].data, "::ffff:192.0.2.1");
      assert.equal(mapped.Answer[0].data, await kdig(`mapped.${TEST_ZONE}`, "AAAA"));
      // The query log (written in batches): one line per question asked above.
      const log = await gateway.waitForStdout((out) => out.trim().split("\n").length >= 4);
      const names = log.trim().split("\n").map((line) => JSON.parse(line).name);
      assert.ok(names.includes(sip.slice(0, -1)), names.join(" "));
      assert.ok(names.includes(`${ODD_LABEL}.${TEST_ZONE}`), names.join(" "));
    });
  },
});
