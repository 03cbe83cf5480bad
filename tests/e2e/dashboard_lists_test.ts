/**
 * Lists added from the dashboard survive a restart: the real gateway in front of knot, a list
 * file added through the lists page's form blocks its name at once, and again after the
 * gateway is stopped and started on the same BLOCKLIST_DIR, the page still listing it.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "lists-e2e-token-0123456789";
const NAME = `mail.${TEST_ZONE}`;

const rcodeOf = async (gateway: Gateway) =>
  (await askDoh(gateway.url, NAME, RType.A)).reply.header.rcode;

/** A form post as the page makes it (same origin); the response is not followed. */
const post = (gateway: Gateway, path: string, fields: Record<string, string>, cookie = "") =>
  fetch(`${gateway.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: gateway.url, cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });

async function login(gateway: Gateway): Promise<string> {
  const response = await post(gateway, "/login", { token: ADMIN_TOKEN });
  await response.body?.cancel();
  return (response.headers.get("set-cookie") ?? "").split(";", 1)[0];
}

Deno.test({
  name: "a list added on the dashboard blocks at once and still after a restart",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dashboard-lists-e2e-" });
    const knot = await startKnot();
    await Deno.writeTextFile(`${dir}/mail.txt`, `0.0.0.0 ${NAME}\n`);
    const env = {
      UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
      BLOCKLIST_URLS: "",
      BLOCKLIST_DIR: `${dir}/state`,
      ADMIN_TOKEN,
      LOG_QUERIES: "off",
    };
    let gateway = await startGateway({ env });
    try {
      assert.equal(await rcodeOf(gateway), Rcode.NOERROR);
      const cookie = await login(gateway);
      const added = await post(gateway, "/ui/lists/add", {
        name: "mail",
        location: `${dir}/mail.txt`,
        kind: "block",
      }, cookie);
      assert.equal(added.status, 303);
      assert.equal(added.headers.get("location"), "/lists?done=blocklist%20mail%20added.");
      assert.equal(await rcodeOf(gateway), Rcode.NXDOMAIN);

      assert.equal(await gateway.stop(), 0);
      gateway = await startGateway({ env });
      await eventually(async () => assert.equal(await rcodeOf(gateway), Rcode.NXDOMAIN));
      const page = await fetch(`${gateway.url}/lists`, {
        headers: { cookie: await login(gateway) },
      });
      assert.match(
        await page.text(),
        /<tr id="list-mail"><td>mail<\/td><td>block<\/td><td>dashboard<\/td>/,
      );
    } finally {
      await gateway.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
