/**
 * The dashboard's history views through `app.request()`: the log searched by every filter and
 * paged both ways, each row with what happened and a block and allow button, bad filters
 * refused with the field named.
 */
import assert from "node:assert/strict";
import { Rcode } from "../../dns/mod.ts";
import { dashboardApp } from "../support/dashboard_app.ts";

/** The query names of the log table's rows, top to bottom. */
const names = (html: string) =>
  [...html.matchAll(/<td class="qname">([^<]*)<\/td>/g)].map((m) => m[1]);
const link = (html: string, id: string) =>
  /href="([^"]*)" id="/.exec(html.slice(html.lastIndexOf("<a", html.indexOf(`id="${id}"`))))?.[1]
    ?.replaceAll("&amp;", "&");

Deno.test("the log page finds queries by name, client, outcome, rcode and type", async () => {
  const { rcodeOf, login, page } = await dashboardApp();
  await rcodeOf("www.example", "192.0.2.10");
  await rcodeOf("x.ads.example", "192.0.2.10");
  await rcodeOf("nothing.example", "192.0.2.20");
  const cookie = await login();
  const all = await page("/log", cookie);
  assert.equal(all.status, 200);
  assert.deepEqual(names(all.html), ["nothing.example", "x.ads.example", "www.example"]);
  // A row: client, profile, name, type, outcome, rcode by name, answer, rule, upstream, buttons.
  assert.match(
    all.html,
    /<td ?>192\.0\.2\.10<\/td><td>default<\/td><td class="qname">x\.ads\.example<\/td><td>A<\/td><td class="outcome">blocked<\/td><td class="bad">NXDOMAIN<\/td><td class="answer">no records<\/td><td>ads: ads\.example<\/td>/,
  );
  assert.match(all.html, /<td class="outcome">answered<\/td><td class="bad">NXDOMAIN<\/td>/);
  assert.match(
    all.html,
    /<td class="outcome">answered<\/td><td ?>NOERROR<\/td><td class="answer">A 192\.0\.2\.1<\/td>/,
  );
  assert.match(all.html, /<button type="submit" name="kind" value="block">block<\/button>/);
  assert.doesNotMatch(all.html, /<script/);
  assert.deepEqual(names((await page("/log?name=ADS", cookie)).html), ["x.ads.example"]);
  assert.deepEqual(names((await page("/log?client=192.0.2.20", cookie)).html), ["nothing.example"]);
  assert.deepEqual(names((await page("/log?outcome=blocked", cookie)).html), ["x.ads.example"]);
  assert.deepEqual(
    names((await page("/log?rcode=nxdomain&outcome=answered", cookie)).html),
    ["nothing.example"],
  );
  assert.deepEqual(names((await page("/log?type=AAAA", cookie)).html), []);
  assert.deepEqual(names((await page("/log?to=2000-01-01T00:00", cookie)).html), []);
  const filled = (await page("/log?name=ads&outcome=blocked", cookie)).html;
  assert.match(filled, /<input name="name" type="text" placeholder="name contains" value="ads"/);
  assert.match(filled, /<option value="blocked" selected>blocked<\/option>/);
});

Deno.test("the log page refuses a filter it cannot read, naming the field", async () => {
  const { login, page } = await dashboardApp();
  const cookie = await login();
  for (
    const [query, said] of [
      [
        "outcome=lost",
        /outcome=&quot;lost&quot;: expected one of answered, cached, blocked, failed/,
      ],
      ["rcode=NOPE", /rcode=&quot;NOPE&quot;: expected an rcode/],
      ["type=BOGUS", /type=&quot;BOGUS&quot;: expected a record type/],
      ["from=yesterday", /from=&quot;yesterday&quot;: expected a UTC time like 2026-01-10T12:30/],
      ["profile=a%20b", /profile=&quot;a b&quot;: expected a profile name/],
    ] as const
  ) {
    const { status, html } = await page(`/log?${query}`, cookie);
    assert.equal(status, 400, query);
    assert.match(html, said);
    assert.match(html, /role="alert"/);
  }
});

Deno.test("the log page pages to older queries and back to newer ones", async () => {
  const { rcodeOf, login, page } = await dashboardApp();
  for (let i = 0; i < 120; i++) await rcodeOf(`n${i}.example`);
  const cookie = await login();
  const first = await page("/log?outcome=answered", cookie);
  assert.equal(names(first.html).length, 50);
  assert.equal(names(first.html)[0], "n119.example");
  assert.equal(link(first.html, "newer"), undefined, "the newest page has no newer one");
  const older = link(first.html, "older")!;
  assert.match(older, /^\/log\?outcome=answered&cursor=/);
  const second = await page(older, cookie);
  assert.deepEqual(names(second.html).slice(0, 2), ["n69.example", "n68.example"]);
  const third = await page(link(second.html, "older")!, cookie);
  assert.equal(names(third.html).length, 20);
  assert.equal(names(third.html).at(-1), "n0.example");
  assert.equal(link(third.html, "older"), undefined, "the last page has no older one");
  const backOne = await page(link(third.html, "newer")!, cookie);
  assert.deepEqual(names(backOne.html), names(second.html));
  const backTwo = await page(link(backOne.html, "newer")!, cookie);
  assert.deepEqual(names(backTwo.html), names(first.html));
});

Deno.test("a log row's block button blocks its name and comes back to the same page", async () => {
  const { rcodeOf, login, page, post } = await dashboardApp();
  await rcodeOf("www.example");
  const cookie = await login();
  const { html } = await page("/log?name=www", cookie);
  const back = /name="back" value="([^"]*)"/.exec(html)![1].replaceAll("&amp;", "&");
  assert.equal(back, "/log?name=www");
  const blocked = await post("/ui/block", { name: "www.example", kind: "block", back }, { cookie });
  assert.equal(blocked.status, 303);
  assert.equal(blocked.headers.get("location"), "/log?name=www&done=blocked&listed=www.example");
  assert.equal(await rcodeOf("www.example"), Rcode.NXDOMAIN);
  const after = await page(blocked.headers.get("location")!, cookie);
  assert.match(after.html, /www\.example is blocked\. It takes effect on the next query\./);
  assert.deepEqual(names(after.html).slice(0, 1), ["www.example"], "the search is kept");
  const allowed = await post("/ui/block", { name: "www.example", kind: "allow", back }, {
    cookie,
  });
  assert.equal(allowed.headers.get("location"), "/log?name=www&done=allowed&listed=www.example");
  // Another site is never where a form goes back to.
  for (const elsewhere of ["https://evil.example/", "//evil.example/log", "/logout"]) {
    const response = await post(
      "/ui/block",
      { name: "a.example", kind: "block", back: elsewhere },
      {
        cookie,
      },
    );
    assert.equal(response.headers.get("location"), "/?done=blocked&name=a.example");
  }
});

Deno.test("the log page asks for a session, and a row's button for a same-origin post", async () => {
  const { rcodeOf, post, page } = await dashboardApp();
  const noSession = await page("/log", "");
  assert.equal(noSession.status, 303);
  const forged = await post("/ui/block", { name: "www.example", kind: "block", back: "/log" }, {
    origin: "https://evil.example",
  });
  assert.equal(forged.status, 403);
  assert.equal(await rcodeOf("www.example"), Rcode.NOERROR);
});
