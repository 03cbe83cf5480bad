/**
 * CNAME cloaking through the real gateway: knot answers `alias` with a CNAME to `www`; once
 * `www` is listed, `alias` is blocked too, over DoH, the JSON API and UDP, even though its
 * answer was in the cache before the entry was added (the next query, not the TTL's end). EDE
 * 15, the query log and /admin/why name the target and the entry; removing the entry lets it
 * through again.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { askDoh } from "../support/doh.ts";
import { extendedError } from "../support/ede.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "e2e-cname-token-0123456789";
const ALIAS = `alias.${TEST_ZONE}`;
const TARGET = `www.${TEST_ZONE}`;

Deno.test({
  name: "a CNAME into a listed name is blocked at every door, also when cached before the entry",
  ...integration(["knotd"]),
  async fn() {
    await withKnotGateway(
      { env: { ADMIN_TOKEN, UDP_PORT: "0", LOG_QUERIES: "true" } },
      async (gateway, knot) => {
        const edit = (method: "POST" | "DELETE") =>
          fetch(`${gateway.url}/admin/blocklist/custom/block`, {
            method,
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
            body: JSON.stringify({ names: [TARGET] }),
          }).then((response) => response.arrayBuffer());
        const doh = async () => (await askDoh(gateway.url, ALIAS, RType.A, { edns: {} })).reply;
        const before = await doh();
        assert.equal(before.header.rcode, Rcode.NOERROR);
        assert.equal(before.answers[0].type, RType.CNAME);
        const asked = await knot.queryCount();
        await edit("POST");
        const blocked = await doh();
        assert.equal(blocked.header.rcode, Rcode.NXDOMAIN);
        assert.equal(
          extendedError(blocked)?.text,
          `Blocked (cname ${TARGET} (custom: ${TARGET}))`,
        );
        assert.equal(await knot.queryCount(), asked, "decided on the cached answer");
        const json = await (await fetch(`${gateway.url}/resolve?name=${ALIAS}&type=A`)).json();
        assert.equal(json.Status, Rcode.NXDOMAIN);
        const [udp] = await udpExchange(doorPort(gateway, "UDP"), [makeQuery(ALIAS, RType.A)]);
        assert.equal(decodeMessage(udp).header.rcode, Rcode.NXDOMAIN);
        const log = await gateway.waitForStdout((out) => out.includes(`"rule":"cname `));
        const line = log.trim().split("\n").map((text) => JSON.parse(text))
          .find((entry) => entry.name === ALIAS && entry.source === "blocked");
        assert.equal(line?.rule, `cname ${TARGET} (custom: ${TARGET})`);
        // The dashboard's and the admin API's "why" says so.
        const why = await (await fetch(`${gateway.url}/admin/why?name=${ALIAS}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })).json();
        assert.equal(
          why.summary,
          `blocked: its cached answer is an alias of ${TARGET}, blocked by custom: ${TARGET}`,
        );
        await edit("DELETE");
        assert.equal((await doh()).header.rcode, Rcode.NOERROR, "unblocked as soon");
      },
    );
  },
});
