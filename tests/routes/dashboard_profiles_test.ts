/**
 * The dashboard's profiles page through `app.request()`: behind the session like the rest of
 * the dashboard, it lists profiles and clients with their DoH URLs, and its forms create, edit
 * and delete them in the profiles file, a mistake coming back as a notice naming the field.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { FilePolicy } from "../../clients/file_policy.ts";
import { LiveDirectory } from "../../clients/live_directory.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { QueryStats } from "../../observe/stats.ts";
import { localResolver } from "../support/local_resolver.ts";

const TOKEN = "profiles-page-token-0123456789";
const SOURCES = [
  { name: "hagezi-pro", location: "/dev/null", kind: "block" as const },
  { name: "stevenblack", location: "/dev/null", kind: "block" as const },
  { name: "ok", location: "/dev/null", kind: "allow" as const },
];

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "profiles-page-" });
  const path = `${dir}/profiles.yaml`;
  const directory = new LiveDirectory({ profiles: [], clients: [] }, false);
  const store = await FilePolicy.open(path, {
    context: { blocklists: ["hagezi-pro", "stevenblack"], allowlists: ["ok"], udpAvailable: true },
    onLoad: (doc) => directory.replace(doc),
    report: () => {},
  });
  const app = createApp({
    resolver: localResolver({}),
    dashboard: {
      token: TOKEN,
      instance: "t",
      stats: new QueryStats(),
      log: createQueryLog({ toStdout: false, capacity: 10 }),
      blocklist: new MemoryBlocklist(),
      listSources: SOURCES,
      profiles: { directory, store },
    },
  });
  const post = (path: string, fields: [string, string][], cookie?: string) =>
    app.request(`http://gw.test${path}`, {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://gw.test",
        host: "gw.test",
        ...(cookie ? { cookie } : {}),
      },
    });
  const login = await post("/login", [["token", TOKEN]]);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";", 1)[0];
  const page = async (query = "") =>
    await (await app.request(`http://gw.test/profiles${query}`, { headers: { cookie } })).text();
  return {
    app,
    path,
    directory,
    cookie,
    post,
    page,
    [Symbol.asyncDispose]: async () => {
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("the forms make a profile and a client; the page shows them with the DoH URL", async () => {
  await using t = await setup();
  let response = await t.post("/ui/profiles", [
    ["name", "kids"],
    ["blocklists", "hagezi-pro"],
    ["blocklists", "stevenblack"],
    ["allowlists_all", "on"],
    ["block", "tiktok.com\n*.roblox.com\n"],
    ["allow", ""],
    ["block_response", "refused"],
    ["safe_search", "on"],
    ["upstreams", ""],
    ["log", "hash"],
  ], t.cookie);
  assert.equal(response.status, 303);
  assert.match(response.headers.get("location")!, /done=profile%20kids%20saved/);
  const kids = t.directory.current.profiles.get("kids");
  assert.deepEqual(kids, {
    name: "kids",
    blocklists: ["hagezi-pro", "stevenblack"],
    block: ["tiktok.com", "*.roblox.com"],
    allow: [],
    blockResponse: "refused",
    safeSearch: true,
    log: "hash",
  });
  response = await t.post("/ui/clients", [
    ["name", "Kids' tablet"],
    ["profile", "kids"],
    ["ids", "kids-tablet"],
    ["addresses", "192.168.1.23"],
  ], t.cookie);
  assert.equal(response.status, 303);
  assert.equal(t.directory.identify("kids-tablet", "")?.profile.name, "kids");
  const html = await t.page();
  assert.match(html, /<code>http:\/\/gw\.test\/dns-query\/kids-tablet<\/code>/);
  assert.match(html, /data-profile="kids"/);
  assert.match(await Deno.readTextFile(t.path), /kids-tablet/);
  // The edit form comes filled in.
  const form = await t.page("?profile=kids");
  assert.match(form, /Edit profile kids/);
  assert.match(form, /tiktok\.com\n\*\.roblox\.com/);
});

Deno.test("a mistake is a notice naming the field; nothing is kept", async () => {
  await using t = await setup();
  const response = await t.post("/ui/clients", [
    ["name", "Laptop"],
    ["profile", "default"],
    ["ids", "not_a_label"],
  ], t.cookie);
  const location = response.headers.get("location")!;
  assert.match(
    decodeURIComponent(location),
    /error=client "Laptop": ids\.0: "not_a_label": a ClientID/,
  );
  assert.match(await t.page(location.slice("/profiles".length)), /class="note wide error"/);
  assert.equal(t.directory.current.doc.clients.length, 0);
  await t.post("/ui/profiles", [["name", "kids"], ["blocklists_all", "on"], [
    "allowlists_all",
    "on",
  ]], t.cookie);
  await t.post(
    "/ui/clients",
    [["name", "Tablet"], ["profile", "kids"], ["ids", "tablet"]],
    t.cookie,
  );
  const refused = await t.post("/ui/profiles/delete", [["name", "kids"]], t.cookie);
  assert.match(decodeURIComponent(refused.headers.get("location")!), /no profile named "kids"/);
  assert.ok(t.directory.current.profiles.has("kids"));
});

Deno.test("without a session the page and its forms go to the login; other origins are refused", async () => {
  await using t = await setup();
  const response = await t.post("/ui/profiles", [["name", "kids"]]);
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/");
  assert.equal(t.directory.current.doc.profiles.length, 0);
  const foreign = await t.app.request("http://gw.test/ui/profiles", {
    method: "POST",
    body: "name=kids",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://elsewhere.test",
      host: "gw.test",
      cookie: t.cookie,
    },
  });
  assert.equal(foreign.status, 403);
  assert.equal(t.directory.current.doc.profiles.length, 0);
});

Deno.test("a body that is no form (multipart without its boundary) is never a 500", async () => {
  await using t = await setup();
  const type = "multipart/form-data; boundary=cut";
  const body = "no boundary anywhere in here";
  for (
    const [path, cookie] of [["/ui/profiles", t.cookie], ["/ui/clients", t.cookie], ["/login"]]
  ) {
    const response = await t.app.request(`http://gw.test${path}`, {
      method: "POST",
      body,
      headers: {
        "content-type": type,
        origin: "http://gw.test",
        host: "gw.test",
        ...(cookie ? { cookie } : {}),
      },
    });
    // Deno 2.9 fails to read such a body (400 here); Deno 2.5 (the oldest the Deploy suite
    // runs) reads it as an empty form, which is then refused as any empty form is.
    assert.ok(response.status < 500, `${path}: ${response.status}`);
    const text = await response.text();
    if (response.status === 400) assert.match(text, /^expected a form/, path);
  }
  assert.equal(t.directory.current.doc.profiles.length, 0);
});

Deno.test("deleting a profile or client that is not there says so, and writes nothing", async () => {
  await using t = await setup();
  for (
    const [path, which] of [["/ui/profiles/delete", "profile"], ["/ui/clients/delete", "client"]]
  ) {
    const response = await t.post(path, [["name", "ghost"]], t.cookie);
    assert.match(
      decodeURIComponent(response.headers.get("location")!),
      new RegExp(`error=no ${which} named "ghost"`),
    );
  }
  await assert.rejects(Deno.stat(t.path), Deno.errors.NotFound, "no file written");
});
