/**
 * A local list file is watched as the records file is: editing it blocks a name at once, with
 * no restart and no admin call; a file gone (or unreadable) keeps the list last loaded from it,
 * and says so. The real gateway, knot upstream, kdig-free: DoH through the door.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const WWW = `www.${TEST_ZONE}`;
const MAIL = `mail.${TEST_ZONE}`;

Deno.test({
  name: "an edited local list file blocks at once; one gone keeps the list last loaded",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "list-files-e2e-" });
    const list = `${dir}/home.txt`;
    await Deno.writeTextFile(list, `0.0.0.0 ${MAIL}\n`);
    try {
      await withKnotGateway({ env: { BLOCKLIST_URLS: `home=${list}` } }, async (gateway) => {
        const rcode = async (name: string) =>
          (await askDoh(gateway.url, name, RType.A)).reply.header.rcode;
        await eventually(async () => assert.equal(await rcode(MAIL), Rcode.NXDOMAIN));
        assert.equal(await rcode(WWW), Rcode.NOERROR);
        // An editor saving the file: the new entry blocks within moments.
        await Deno.writeTextFile(`${list}.tmp`, `0.0.0.0 ${MAIL}\n0.0.0.0 ${WWW}\n`);
        await Deno.rename(`${list}.tmp`, list);
        await eventually(async () => assert.equal(await rcode(WWW), Rcode.NXDOMAIN), 3000);
        assert.match(gateway.stderr(), /blocklist home: file, 2 block/);
        // The file gone: the list last loaded from it stays, and the line says why.
        await Deno.remove(list);
        await eventually(
          () => Promise.resolve(assert.match(gateway.stderr(), /blocklist home: failed/)),
          3000,
        );
        assert.equal(await rcode(WWW), Rcode.NXDOMAIN);
        assert.equal(await rcode(MAIL), Rcode.NXDOMAIN);
        // Back, with one entry less.
        await Deno.writeTextFile(list, `0.0.0.0 ${MAIL}\n`);
        await eventually(async () => assert.equal(await rcode(WWW), Rcode.NOERROR), 3000);
        assert.equal(await rcode(MAIL), Rcode.NXDOMAIN);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
