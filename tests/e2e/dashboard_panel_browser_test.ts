/**
 * The dashboard as a control panel in a real browser (headless Chromium), on the real gateway
 * in front of knot with a blocklist file: log in, search the log for a name, page to older
 * queries and back, switch the history's range, pause blocking and see a listed name resolve,
 * resume and see it blocked again. The screenshot of the log is kept in test-artifacts/.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { launchChromium } from "../support/browser.ts";
import { askDoh } from "../support/doh.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "panel-browser-token-0123456789";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
const LISTED = `mail.${TEST_ZONE}`;

const rcodeOf = async (gateway: Gateway, name: string) =>
  (await askDoh(gateway.url, name, RType.A)).reply.header.rcode;

Deno.test({
  name: "a person searches and pages the log, switches the range, pauses and resumes blocking",
  ...integration(["knotd", "chromium"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "panel-browser-" });
    await Deno.writeTextFile(`${dir}/hosts`, `0.0.0.0 ${LISTED}\n`);
    const knot = await startKnot();
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        BLOCKLIST_URLS: `hosts=${dir}/hosts`,
        BLOCKLIST_DIR: `${dir}/state`,
        ADMIN_TOKEN,
        LOG_QUERIES: "off",
      },
    });
    const browser = await launchChromium();
    try {
      await waitForList(gateway);
      for (let i = 0; i < 60; i++) await rcodeOf(gateway, `n${i}.${TEST_ZONE}`);
      for (let i = 0; i < 3; i++) await rcodeOf(gateway, `www.${TEST_ZONE}`);
      assert.equal(await rcodeOf(gateway, LISTED), Rcode.NXDOMAIN);

      const page = await browser.newPage();
      await page.goto(`${gateway.url}/`);
      await page.type("input[name=token]", ADMIN_TOKEN);
      await page.clickAndWait("button[type=submit]");

      // The log, searched for a name.
      await page.clickAndWait('nav a[href="/log"]');
      await page.type("#log-search input[name=name]", "mail");
      await page.clickAndWait("#log-search button[type=submit]");
      assert.equal(
        await page.evaluate("location.search"),
        "?name=mail&client=&profile=&type=&outcome=&rcode=&from=&to=",
      );
      const rows = () => page.evaluate<number>("document.querySelectorAll('#log tr.row').length");
      assert.equal(await rows(), 1);
      assert.match(
        await page.text("#log tr.row"),
        new RegExp(
          `${LISTED.replaceAll(".", "\\.")}Ablocked\\s*NXDOMAIN\\s*no records\\s*hosts: ${
            LISTED.replaceAll(".", "\\.")
          }`,
        ),
      );

      // Paged: 64 queries, 50 a page.
      await page.clickAndWait("#log-search a");
      assert.equal(await rows(), 50);
      const newest = await page.text("#log tr.row td.qname");
      assert.equal(newest, LISTED);
      await page.clickAndWait("#older");
      assert.equal(await rows(), 14);
      assert.equal(await page.text("#log tr.row:last-child td.qname"), `n0.${TEST_ZONE}`);
      await page.clickAndWait("#newer");
      assert.equal(await rows(), 50);
      assert.equal(await page.text("#log tr.row td.qname"), newest);
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot(`${ARTIFACTS}dashboard_log.png`);

      // The history's range.
      await page.clickAndWait('nav a[href="/stats"]');
      assert.equal(await page.text("h2"), "Queries, last 24h");
      await page.clickAndWait('#ranges a[href="/stats?range=1h"]');
      assert.equal(await page.text("h2"), "Queries, last 1h");
      assert.equal(await page.text("#total-all b"), "64");
      assert.equal(await page.text("#total-blocked b"), "1");
      assert.match(await page.text("#range-chart"), /\d\d:\d0 UTC/);
      assert.match(await page.text("#top-names"), new RegExp(`www\\.${TEST_ZONE}\\s*3`));

      // Blocking paused: the listed name resolves; resumed: blocked again.
      await page.clickAndWait('nav a[href="/"]');
      assert.equal(await page.text("#pause-state"), "On: the lists decide.");
      await page.clickAndWait('#pause button[value="5"]');
      assert.match(
        await page.text("#pause-state"),
        /^Paused until \d{4}-\d\d-\d\d \d\d:\d\d UTC: no list blocks anything\.$/,
      );
      assert.equal(await rcodeOf(gateway, LISTED), Rcode.NOERROR);
      await page.clickAndWait("#resume button");
      assert.equal(await page.text("#pause-state"), "On: the lists decide.");
      assert.equal(await rcodeOf(gateway, LISTED), Rcode.NXDOMAIN);
    } finally {
      await browser.close();
      await gateway.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Lists load a moment after startup: until the admin API says the list is in (no query). */
async function waitForList(gateway: Gateway) {
  const deadline = Date.now() + 10_000;
  while (true) {
    const response = await fetch(`${gateway.url}/admin/blocklist`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { lists } = await response.json();
    if (lists.some((list: { name: string }) => list.name === "hosts")) return;
    if (Date.now() > deadline) throw new Error("the list was not loaded within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
