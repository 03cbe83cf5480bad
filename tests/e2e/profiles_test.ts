/**
 * Profiles through the real gateway: a mistake in the profiles file stops it at startup with
 * file:line:column (exit 2); an edit of the file changes the profile a client's next query is
 * answered under, a mistake keeping the last good one; and gateways sharing Redis apply an
 * admin edit made through one of them within 2 seconds.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, runGateway, startGateway } from "../support/gateway.ts";
import { knotUpstream, withKnotGateway } from "../support/knot_gateway.ts";
import { startKnot } from "../support/knot.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "e2e-profiles-token-0123456789";
const authorization = `Bearer ${ADMIN_TOKEN}`;

/** The profile and client name the gateway logged for its newest query. */
async function lastLogged(gateway: Gateway): Promise<[string?, string?]> {
  const response = await fetch(`${gateway.url}/admin/log?limit=1`, { headers: { authorization } });
  const { entries } = await response.json();
  const entry = entries[0]?.entry;
  return [entry?.profile, entry?.clientName];
}

Deno.test({
  name: "a mistake in the profiles file stops the gateway at startup with file:line:column",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "profiles-e2e-" });
    const path = `${dir}/profiles.yaml`;
    await Deno.writeTextFile(path, "profiles:\n  kids:\n    safe_search: maybe\n");
    try {
      const { code, stderr } = await runGateway({ PROFILES_FILE: path, HTTP_PORT: "0" });
      assert.equal(code, 2);
      assert.equal(
        stderr.trim(),
        `config error: PROFILES_FILE: ${path}:3:18: expected true or false`,
      );
      // A file that cannot be read is a config error too, one line, not a stack trace.
      const unreadable = await runGateway({ PROFILES_FILE: dir, HTTP_PORT: "0" });
      assert.equal(unreadable.code, 2);
      assert.match(
        unreadable.stderr.trim(),
        /^config error: PROFILES_FILE="[^"]+": cannot read the file \(Is a directory[^\n]*\)$/,
      );
      // Something endless is not read for ever.
      const endless = await runGateway({ PROFILES_FILE: "/dev/zero", HTTP_PORT: "0" });
      assert.equal(endless.code, 2);
      assert.equal(
        endless.stderr.trim(),
        `config error: PROFILES_FILE="/dev/zero": it is larger than ${16 * 1024 * 1024} bytes`,
      );
      const only = await runGateway({ CLIENTS_ONLY: "true", HTTP_PORT: "0" });
      assert.equal(only.code, 2);
      assert.match(only.stderr, /CLIENTS_ONLY="true" needs PROFILES_FILE or Redis/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "an edit of the profiles file moves a client to another profile; a mistake keeps the last",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "profiles-e2e-" });
    const path = `${dir}/profiles.yaml`;
    const mapped = (profile: string) =>
      `profiles:\n  family: {}\n  kids: {}\nclients:\n  This laptop:\n    profile: ${profile}\n    addresses: [127.0.0.1]\n`;
    await Deno.writeTextFile(path, mapped("family"));
    try {
      await withKnotGateway({ env: { PROFILES_FILE: path, ADMIN_TOKEN } }, async (gateway) => {
        assert.match(gateway.stderr(), /profiles: .*profiles\.yaml: 2 profiles, 1 client\n/);
        await askDoh(gateway.url, `www.${TEST_ZONE}`, RType.A);
        assert.deepEqual(await lastLogged(gateway), ["family", "This laptop"]);
        await Deno.writeTextFile(path, mapped("kids"));
        await eventually(async () => {
          await askDoh(gateway.url, `www.${TEST_ZONE}`, RType.A);
          assert.deepEqual(await lastLogged(gateway), ["kids", "This laptop"]);
        }, 3000);
        await Deno.writeTextFile(path, mapped("kids") + "    ids: [Not_A_Label]\n");
        await eventually(() =>
          Promise.resolve(
            assert.match(
              gateway.stderr(),
              /profiles: .*profiles\.yaml:8:11: "Not_A_Label": a ClientID is one DNS label.*; keeping the last good profiles/,
            ),
          ), 3000);
        await askDoh(gateway.url, `www.${TEST_ZONE}`, RType.A);
        assert.deepEqual(await lastLogged(gateway), ["kids", "This laptop"]);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "two gateways on one Redis: a profile edit through one applies on the other within 2 s",
  ...integration(["knotd", "redis-server"]),
  async fn() {
    const knot = await startKnot();
    const redis = await startRedis();
    // Both start from one file, which seeds Redis: with profiles held, each polls every second.
    const dir = await Deno.makeTempDir({ prefix: "profiles-e2e-" });
    await Deno.writeTextFile(`${dir}/profiles.yaml`, "profiles:\n  family: {}\n");
    const env = {
      UPSTREAMS: knotUpstream(knot),
      REDIS_URL: redis.url,
      PROFILES_FILE: `${dir}/profiles.yaml`,
      ADMIN_TOKEN,
      // The query log read back from this instance's memory, not the shared stream.
      LOG_STREAM_MAX: "0",
    };
    const one = await startGateway({ env });
    const two = await startGateway({ env });
    try {
      const put = (path: string, body: unknown) =>
        fetch(`${one.url}/admin/${path}`, {
          method: "PUT",
          headers: { authorization, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      assert.equal((await put("profiles/kids", { safe_search: true })).status, 200);
      await askDoh(two.url, `www.${TEST_ZONE}`, RType.A);
      assert.deepEqual(await lastLogged(two), [undefined, undefined], "default: no profile named");
      const response = await put("clients/This%20laptop", {
        profile: "kids",
        addresses: ["127.0.0.1"],
      });
      assert.equal(response.status, 200, await response.text());
      const edited = Date.now();
      await eventually(async () => {
        await askDoh(two.url, `www.${TEST_ZONE}`, RType.A);
        assert.deepEqual(await lastLogged(two), ["kids", "This laptop"]);
      }, 2000);
      assert.ok(Date.now() - edited <= 2000);
      const listed =
        await (await fetch(`${two.url}/admin/profiles`, { headers: { authorization } }))
          .json();
      assert.equal(listed.storedIn, "Redis");
      assert.deepEqual(listed.clients, {
        "This laptop": { profile: "kids", addresses: ["127.0.0.1"] },
      });
    } finally {
      await one.stop();
      await two.stop();
      await redis.stop();
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
