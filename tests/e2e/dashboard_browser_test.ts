/**
 * The dashboard in a real browser (headless Chromium): log in with the admin token, see the
 * chart and the tables filled with the test's own queries, block a name through the page,
 * and the next DoH query for it is blocked. The screenshot is kept as a test artifact in
 * test-artifacts/dashboard.png.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { launchChromium } from "../support/browser.ts";
import { askDoh } from "../support/doh.ts";
import { extendedError } from "../support/ede.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "browser-e2e-token-0123456789";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

const ask = async (gateway: Gateway, name: string) =>
  (await askDoh(gateway.url, name, RType.A, { edns: {} })).reply;

Deno.test({
  name: "a person logs in to the dashboard, sees the queries, and blocks a name through the page",
  ...integration(["knotd", "chromium"]),
  async fn() {
    const knot = await startKnot();
    const gateway = await startGateway({
      env: { UPSTREAMS: `udp://127.0.0.1:${knot.port}`, ADMIN_TOKEN, LOG_QUERIES: "off" },
    });
    const browser = await launchChromium();
    try {
      for (let i = 0; i < 3; i++) await ask(gateway, `www.${TEST_ZONE}`);
      await ask(gateway, `mail.${TEST_ZONE}`);
      await ask(gateway, `nothing.${TEST_ZONE}`);

      const page = await browser.newPage();
      await page.goto(`${gateway.url}/`);
      assert.equal(await page.text("h2"), "DoH gateway dashboard");
      await page.type("input[name=token]", "a-wrong-token");
      await page.clickAndWait("button[type=submit]");
      assert.equal(await page.text("[role=alert]"), "Wrong token.");
      await page.type("input[name=token]", ADMIN_TOKEN);
      await page.clickAndWait("button[type=submit]");

      assert.equal(await page.text("#queries b"), "5");
      assert.equal(await page.evaluate("document.querySelectorAll('svg.chart rect').length"), 180);
      assert.match(await page.text("#top-names"), new RegExp(`www\\.${TEST_ZONE}\\s*3`));
      assert.match(await page.text("#recent"), new RegExp(`mail\\.${TEST_ZONE}`));
      // What each name resolved to, and how: an A answer, and a name knot does not have.
      assert.match(await page.text("#recent"), /NOERROR\s*A 192\.0\.2\.(1|25)/);
      assert.match(await page.text("#recent"), /NXDOMAIN\s*no records/);
      assert.match(await page.text("svg.chart"), /\d\d:\d0 UTC/);
      assert.match(await page.text("#upstreams"), new RegExp(`udp://127\\.0\\.0\\.1:${knot.port}`));
      assert.equal(await page.text("#cache-ratio b"), "40.0 %", "2 hits, 3 misses");
      // Clients: the top table, each recent query's client and profile, and the filter form.
      assert.match(await page.text("#top-clients"), /^127\.0\.0\.1\s*5$/);
      assert.match(await page.text("#recent"), /127\.0\.0\.1\s*default\s*mail/);
      const rows = () => page.evaluate<number>("document.querySelectorAll('#recent tr').length");
      await page.type("#client-filter input[name=client]", "192.0.2.1");
      await page.clickAndWait("#client-filter button");
      assert.equal(await page.evaluate("location.search"), "?client=192.0.2.1");
      assert.equal(await rows(), 1, "no query of that client: the header alone");
      await page.clickAndWait("#top-clients a");
      assert.equal(await page.evaluate("location.search"), "?client=127.0.0.1");
      assert.equal(await rows(), 6, "the header and the client's five queries");
      await page.goto(`${gateway.url}/`);

      await page.type("input[name=name]", `mail.${TEST_ZONE}`);
      await page.clickAndWait("button[value=block]");
      assert.equal(
        await page.text("[role=status]"),
        `mail.${TEST_ZONE} is blocked. It takes effect on the next query.`,
      );
      const reply = await ask(gateway, `mail.${TEST_ZONE}`);
      assert.equal(reply.header.rcode, Rcode.NXDOMAIN);
      assert.equal(extendedError(reply)?.text, `Blocked (custom: mail.${TEST_ZONE})`);

      await page.goto(`${gateway.url}/?why=x.mail.${TEST_ZONE}&type=A`);
      assert.match(
        await page.text("#why-result"),
        new RegExp(`blocked by custom: mail\\.${TEST_ZONE}`),
      );
      await page.goto(`${gateway.url}/`);
      assert.match(await page.text("#top-blocked"), new RegExp(`mail\\.${TEST_ZONE}\\s*1`));
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot(`${ARTIFACTS}dashboard.png`);
      assert.ok((await Deno.stat(`${ARTIFACTS}dashboard.png`)).size > 10_000);
    } finally {
      await browser.close();
      await gateway.stop();
      await knot.stop();
    }
  },
});
