/**
 * The profiles admin API through `app.request()`, over the profiles file as its store: every
 * call, its errors, and its effect on who the directory says a client is.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { FilePolicy } from "../../clients/file_policy.ts";
import { LiveDirectory } from "../../clients/live_directory.ts";
import { localResolver } from "../support/local_resolver.ts";

const TOKEN = "0123456789abcdef-admin";
const CONTEXT = { blocklists: ["hagezi-pro"], allowlists: [], udpAvailable: true };

async function setup(withStore = true) {
  const dir = await Deno.makeTempDir({ prefix: "admin-profiles-" });
  const path = `${dir}/profiles.yaml`;
  await Deno.writeTextFile(path, "# ours\nprofiles:\n  family: {}\n");
  const directory = new LiveDirectory({ profiles: [], clients: [] }, false);
  const store = await FilePolicy.open(path, {
    context: CONTEXT,
    onLoad: (doc) => directory.replace(doc),
    report: () => {},
  });
  directory.replace(store.doc);
  const resolver = localResolver({});
  const app = createApp({
    resolver,
    admin: { token: TOKEN, profiles: { directory, store: withStore ? store : undefined } },
  });
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return {
    path,
    directory,
    call,
    [Symbol.asyncDispose]: async () => {
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("profiles and clients are made, listed and deleted; the directory follows at once", async () => {
  await using t = await setup();
  let response = await t.call("PUT", "/admin/profiles/kids", {
    blocklists: ["hagezi-pro"],
    safe_search: true,
    block: ["TikTok.com"],
  });
  assert.equal(response.status, 200);
  response = await t.call("PUT", "/admin/clients/Kids'%20tablet", {
    profile: "kids",
    ids: ["kids-tablet"],
  });
  assert.equal(response.status, 200);
  assert.equal(t.directory.identify("kids-tablet", "")?.profile.name, "kids");
  assert.equal(t.directory.identify("kids-tablet", "")?.name, "Kids' tablet");
  const listed = await (await t.call("GET", "/admin/profiles")).json();
  assert.deepEqual(listed, {
    storedIn: `the profiles file ${t.path}`,
    restricted: false,
    profiles: {
      family: {},
      kids: { blocklists: ["hagezi-pro"], block: ["tiktok.com"], safe_search: true },
    },
    clients: { "Kids' tablet": { profile: "kids", ids: ["kids-tablet"] } },
  });
  assert.match(await Deno.readTextFile(t.path), /^# ours\n/);
  // A profile a client uses cannot go; the client first, then the profile.
  response = await t.call("DELETE", "/admin/profiles/kids");
  assert.equal(response.status, 400);
  assert.match((await response.json()).error, /no profile named "kids"/);
  assert.equal((await t.call("DELETE", "/admin/clients/Kids'%20tablet")).status, 200);
  assert.equal((await t.call("DELETE", "/admin/profiles/kids")).status, 200);
  assert.equal(t.directory.identify("kids-tablet", "")?.profile.name, "default");
  assert.equal((await t.call("DELETE", "/admin/profiles/kids")).status, 404);
});

Deno.test("mistakes are 400 naming the field; no store is 409 naming the settings", async () => {
  await using t = await setup();
  let response = await t.call("PUT", "/admin/profiles/kids", { safe_search: "yes" });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), {
    error: "expected true or false",
    at: ["profiles", "kids", "safe_search"],
  });
  response = await t.call("PUT", "/admin/profiles/Kids!", {});
  assert.equal(response.status, 400);
  response = await t.call("PUT", "/admin/profiles/kids", "not json");
  assert.equal(response.status, 400);
  assert.match(await response.text(), /expected a JSON object/);
  response = await t.call("PUT", "/admin/profiles/kids", [1]);
  assert.equal(response.status, 400);
  response = await t.call("PUT", "/admin/clients/x", { profile: "family", ids: ["Not_Ok"] });
  assert.equal(response.status, 400);
  assert.match((await response.json()).error, /a ClientID is one DNS label/);

  // A name with spaces at its ends would be a second client of the same name once read back.
  response = await t.call("PUT", "/admin/clients/%20Tablet", { profile: "family", ids: ["a"] });
  assert.equal(response.status, 400);
  assert.match((await response.json()).error, /does not start or end with spaces/);
  assert.doesNotMatch(await Deno.readTextFile(t.path), /Tablet/);

  await using bare = await setup(false);
  response = await bare.call("PUT", "/admin/profiles/kids", {});
  assert.equal(response.status, 409);
  assert.match(await response.text(), /set PROFILES_FILE .* or Redis/);
  assert.equal((await bare.call("GET", "/admin/profiles")).status, 200);
});

Deno.test("the profiles API is behind the admin token", async () => {
  await using t = await setup();
  const app = t.call;
  assert.equal((await app("GET", "/admin/profiles")).status, 200);
  const anonymous = createApp({
    resolver: localResolver({}),
    admin: { token: TOKEN, profiles: { directory: t.directory } },
  });
  assert.equal((await anonymous.request("/admin/profiles")).status, 401);
});
