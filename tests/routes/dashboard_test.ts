/**
 * The dashboard through `app.request()`: off without a token, a login form until the right
 * token is posted, a session cookie that is HttpOnly and SameSite=Strict, the page filled with
 * what was asked, form actions that block and unblock names, and cross-origin posts refused.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { QueryStats } from "../../observe/stats.ts";
import type { ClientDirectory } from "../../pipeline/profile.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { directoryByAddress, profileOf } from "../support/small_directory.ts";

const TOKEN = "dashboard-token-0123456789";

async function setup(
  { token, loaded = true, directory }: {
    token?: string;
    loaded?: boolean;
    directory?: ClientDirectory;
  } = { token: TOKEN },
) {
  const blocklist = new MemoryBlocklist();
  if (loaded) await blocklist.load([{ name: "ads", block: ["ads.example"], allow: [] }]);
  const listSources = [{ name: "ads", location: "/lists/ads.txt", kind: "block" as const }];
  const stats = new QueryStats();
  const log = createQueryLog({
    toStdout: false,
    capacity: 50,
    observers: [(e) => stats.record(e)],
  });
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 60 },
    failMode: "open",
  });
  const resolver = localResolver({ "www.example": ["192.0.2.1"] }, {
    extraStages: [stage],
    log,
    directory,
  });
  const app = createApp({
    resolver,
    dashboard: { token, instance: "test-dash", stats, log, blocklist, listSources },
  });
  const rcodeOf = async (name: string, from?: string) => {
    const dns = makeQuery(name, RType.A).toBase64({ alphabet: "base64url", omitPadding: true });
    // As Deno.serve passes the peer: the app reads the client address from its env.
    const env = from && { remoteAddr: { transport: "tcp", hostname: from, port: 5353 } };
    const response = await app.request(`/dns-query?dns=${dns}`, {}, env || undefined);
    return decodeMessage(new Uint8Array(await response.arrayBuffer())).header.rcode;
  };
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const post = (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    app.request(`http://gw.test${path}`, {
      method: "POST",
      body: form(fields),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://gw.test",
        host: "gw.test",
        ...headers,
      },
    });
  const login = async () => {
    const response = await post("/login", { token: TOKEN });
    assert.equal(response.status, 303);
    const cookie = response.headers.get("set-cookie") ?? "";
    return cookie.split(";", 1)[0];
  };
  return { app, rcodeOf, post, login };
}

Deno.test("the dashboard is off without ADMIN_TOKEN, and other paths keep their 404", async () => {
  const { app } = await setup({});
  const response = await app.request("/");
  assert.equal(response.status, 404);
  assert.equal(await response.text(), "dashboard is off: set ADMIN_TOKEN to use it\n");
  assert.equal(await (await app.request("/nothing-here")).text(), "not found\n");
});

Deno.test("the dashboard shows a login form until the right token is posted", async () => {
  const { app, post } = await setup();
  const first = await app.request("/");
  assert.equal(first.status, 200);
  const html = await first.text();
  assert.match(html, /<form method="post" action="\/login">/);
  assert.doesNotMatch(html, /Top names/);
  assert.match(first.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert.equal(first.headers.get("x-frame-options"), "SAMEORIGIN");
  const wrong = await post("/login", { token: "not-the-token" });
  assert.equal(wrong.status, 403);
  assert.match(await wrong.text(), /Wrong token\./);
  assert.equal(wrong.headers.get("set-cookie"), null);
  const right = await post("/login", { token: TOKEN });
  assert.equal(right.status, 303);
  assert.equal(right.headers.get("location"), "/");
  const cookie = right.headers.get("set-cookie") ?? "";
  assert.match(cookie, /^gw_session=/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Max-Age=43200/);
});

Deno.test("the dashboard shows the queries answered: counts, top names, blocked, recent", async () => {
  const { app, rcodeOf, login } = await setup();
  await rcodeOf("www.example");
  await rcodeOf("www.example");
  await rcodeOf("x.ads.example");
  const cookie = await login();
  const html = await (await app.request("/", { headers: { cookie } })).text();
  assert.match(html, /<div class="card" id="queries"><b>3<\/b>queries, last hour/);
  assert.match(html, /id="blocked-share"><b>33\.3 %<\/b>/);
  assert.match(html, /<table id="top-names"><tr><td>www\.example<\/td><td class="n">2<\/td>/);
  assert.match(html, /<table id="top-blocked"><tr><td>x\.ads\.example<\/td><td class="n">1<\/td>/);
  assert.match(
    html,
    /<td>x\.ads\.example<\/td><td>A<\/td><td>blocked \(ads: ads\.example\)<\/td><td class="bad">NXDOMAIN<\/td><td class="answer">no records<\/td>/,
  );
  assert.match(
    html,
    /<td>www\.example<\/td><td>A<\/td><td>[a-z]+<\/td><td ?>NOERROR<\/td><td class="answer">A 192\.0\.2\.1<\/td>/,
  );
  assert.match(html, /<svg class="chart"/);
  // The time axis: a tick every ten minutes of the hour, the last one saying UTC.
  assert.match(
    html,
    /<text x="[\d.]+" y="174" class="axis" text-anchor="middle">\d\d:\d0 UTC<\/text>/,
  );
  assert.doesNotMatch(html, /id="problem"/, "a block list is loaded");
  assert.match(html, /<td>ads<\/td><td class="n">1<\/td>/);
  assert.doesNotMatch(html, /<script/);
});

Deno.test("the dashboard says so when no blocklist is loaded", async () => {
  const { app, login } = await setup({ token: TOKEN, loaded: false });
  const html = await (await app.request("/", { headers: { cookie: await login() } })).text();
  assert.match(
    html,
    /<p class="note wide error" id="problem" role="alert">no blocklist loaded: 1 list is configured and none has loaded, so nothing is blocked \(see the log\)<\/p>/,
  );
});

Deno.test("the why box explains a name on the page", async () => {
  const { app, login } = await setup();
  const cookie = await login();
  const html =
    await (await app.request("/?why=Tracker.ADS.example&type=AAAA", { headers: { cookie } }))
      .text();
  assert.match(html, /<b>tracker\.ads\.example<\/b> AAAA: blocked by ads: ads\.example/);
  const bad = await (await app.request("/?why=a..b", { headers: { cookie } })).text();
  assert.match(bad, /class="note error">name &quot;a\.\.b&quot;: /);
});

Deno.test("blocking, allowing and removing a name through the page changes the next query", async () => {
  const { rcodeOf, post, login, app } = await setup();
  const cookie = await login();
  assert.equal(await rcodeOf("www.example"), Rcode.NOERROR);
  const blocked = await post("/ui/block", { name: "WWW.example", kind: "block" }, { cookie });
  assert.equal(blocked.status, 303);
  assert.equal(blocked.headers.get("location"), "/?done=blocked&name=www.example");
  assert.equal(await rcodeOf("www.example"), Rcode.NXDOMAIN);
  const page = await (await app.request("/?done=blocked&name=www.example", { headers: { cookie } }))
    .text();
  assert.match(page, /www\.example is blocked\. It takes effect on the next query\./);
  assert.match(page, /<table id="custom"><tr><td>block<\/td><td>www\.example<\/td>/);
  await post("/ui/remove", { name: "www.example", kind: "block" }, { cookie });
  assert.equal(await rcodeOf("www.example"), Rcode.NOERROR);
  await post("/ui/block", { name: "ads.example", kind: "allow" }, { cookie });
  assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN, "allowed: the table has no such name");
  const invalid = await post("/ui/block", { name: "not a name", kind: "block" }, { cookie });
  assert.equal(invalid.headers.get("location"), "/?done=invalid&name=not%20a%20name");
});

Deno.test("form posts without the session, or from another origin, change nothing", async () => {
  const { rcodeOf, post, login } = await setup();
  const noSession = await post("/ui/block", { name: "www.example", kind: "block" });
  assert.equal(noSession.status, 303);
  assert.equal(await rcodeOf("www.example"), Rcode.NOERROR);
  const cookie = await login();
  const forged = await post("/ui/block", { name: "www.example", kind: "block" }, {
    cookie,
    origin: "https://evil.example",
  });
  assert.equal(forged.status, 403);
  assert.equal(await forged.text(), "cross-origin form post\n");
  assert.equal(await rcodeOf("www.example"), Rcode.NOERROR);
});

Deno.test("the dashboard names clients and profiles, ranks clients, and shows one client's queries", async () => {
  const directory = directoryByAddress({
    "192.0.2.10": { profile: profileOf("kids"), name: "Kids tablet" },
    "192.0.2.11": { profile: profileOf("kids"), name: "Kids tablet" },
  });
  const { app, rcodeOf, login } = await setup({ token: TOKEN, directory });
  await rcodeOf("www.example", "192.0.2.10");
  await rcodeOf("x.ads.example", "192.0.2.11");
  await rcodeOf("www.example", "192.0.2.99");
  const cookie = await login();
  const html = await (await app.request("/", { headers: { cookie } })).text();
  assert.match(
    html,
    /<table id="top-clients"><tr><td><a href="\/\?client=Kids%20tablet">Kids tablet<\/a><\/td><td class="n">2<\/td><\/tr><tr><td><a href="\/\?client=192\.0\.2\.99">192\.0\.2\.99<\/a><\/td><td class="n">1<\/td>/,
  );
  assert.match(
    html,
    /<td title="192\.0\.2\.11">Kids tablet<\/td><td>kids<\/td><td>x\.ads\.example<\/td>/,
  );
  assert.match(html, /<td ?>192\.0\.2\.99<\/td><td>default<\/td><td>www\.example<\/td>/);
  assert.match(html, /<form method="get" action="\/" id="client-filter"><input name="client"/);
  const rows = (page: string) =>
    [...page.matchAll(/<td( title="[^"]*")? ?>([^<]*)<\/td><td>([a-z]+)<\/td><td>([^<]*)<\/td>/g)]
      .map((match) => [match[2], match[3], match[4]]);
  const kids = await (await app.request("/?client=kids+TABLET", { headers: { cookie } })).text();
  assert.match(kids, /<h2>Recent queries of kids TABLET<\/h2>/);
  assert.deepEqual(rows(kids), [
    ["Kids tablet", "kids", "x.ads.example"],
    ["Kids tablet", "kids", "www.example"],
  ]);
  assert.match(kids, /<a href="\/">every client<\/a>/);
  const byAddress = await (await app.request("/?client=192.0.2.99", { headers: { cookie } }))
    .text();
  assert.deepEqual(rows(byAddress), [["192.0.2.99", "default", "www.example"]]);
  const tooLong = await (await app.request(`/?client=${"x".repeat(300)}`, { headers: { cookie } }))
    .text();
  assert.match(
    tooLong,
    /class="note wide error" role="status">client: expected a client&#39;s name or address of at most 256 characters, got 300/,
  );
  assert.equal(rows(tooLong).length, 3, "every client's queries, then");
});
