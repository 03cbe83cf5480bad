/**
 * The dashboard's history over a range and its per-client page, through `app.request()`, on
 * a history of real query-log entries spread over days: the range selector, the chart's time
 * axis, totals, tops, clients linked to their pages, profiles and upstream answer times.
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { RecentHistory } from "../../observe/recent_history.ts";
import { dashboardApp } from "../support/dashboard_app.ts";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 10, 12, 30);

/** Queries of two clients over the last six days, some blocked, one failed. */
function history() {
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  for (let i = 0; i < 12; i++) {
    const tablet = i % 3 === 0;
    log.write({
      time: NOW - (11 - i) * 12 * HOUR,
      client: tablet ? "192.0.2.10" : "192.0.2.20",
      clientName: tablet ? "Kids tablet" : undefined,
      profile: tablet ? "kids" : undefined,
      door: "doh",
      name: i % 4 === 0 ? "ads.example" : "www.example",
      type: RType.A,
      source: i % 4 === 0 ? "blocked" : "upstream",
      upstream: i % 4 === 0 ? undefined : "udp://192.0.2.53:53",
      rcode: i === 11 ? Rcode.SERVFAIL : Rcode.NOERROR,
      durationMs: 10 * i,
    });
  }
  return new RecentHistory(log, { now: () => NOW });
}

Deno.test("the history page shows a range: chart with a time axis, totals, tops, profiles, upstreams", async () => {
  const { login, page } = await dashboardApp({ dashboard: { history: history() } });
  const cookie = await login();
  const week = await page("/stats?range=7d", cookie);
  assert.equal(week.status, 200);
  assert.match(week.html, /<h2>Queries, last 7d<\/h2>/);
  assert.match(week.html, /<a href="\/stats\?range=7d" class="current">7d<\/a>/);
  assert.match(week.html, /<a href="\/stats\?range=90d" ?>90d<\/a>/);
  assert.match(week.html, /<div class="card" id="total-all"><b>12<\/b>queries/);
  assert.match(week.html, /id="total-blocked"><b>3<\/b>blocked/);
  assert.match(week.html, /id="total-failed"><b>1<\/b>failed/);
  assert.match(week.html, /id="total-answered"><b>8<\/b>answered/);
  // Hourly bars over a week, a tick on each day: dates, the last saying UTC.
  assert.equal([...week.html.matchAll(/<rect class="blocked"/g)].length, 168);
  const ticks = [...week.html.matchAll(/class="axis" text-anchor="middle">([^<]*)</g)].map((m) =>
    m[1]
  );
  assert.deepEqual(ticks, ["01-04", "01-05", "01-06", "01-07", "01-08", "01-09", "01-10 UTC"]);
  assert.match(
    week.html,
    /<title>2026-01-05 00:00 UTC: 1 queries, 0 answered, 0 cached, 1 blocked, 0 failed<\/title>/,
  );
  assert.match(week.html, /<table id="top-names"><tr><td>www\.example<\/td><td class="n">9<\/td>/);
  assert.match(
    week.html,
    /<table id="top-blocked"><tr><td>ads\.example<\/td><td class="n">3<\/td>/,
  );
  assert.match(
    week.html,
    /<table id="top-clients"><tr><td><a href="\/client\/192\.0\.2\.20\?range=7d">192\.0\.2\.20<\/a><\/td><td class="n">8<\/td><\/tr><tr><td><a href="\/client\/Kids%20tablet\?range=7d">Kids tablet<\/a><\/td><td class="n">4<\/td>/,
  );
  assert.match(
    week.html,
    /<table id="profiles"><tr><td>default<\/td><td class="n">8<\/td><\/tr><tr><td>kids<\/td><td class="n">4<\/td>/,
  );
  // Percentiles from log-scale bins, as every store keeps them: within a bin of 60 and 110 ms.
  assert.match(
    week.html,
    /<td>udp:\/\/192\.0\.2\.53:53<\/td><td class="n">9<\/td><td class="n">59 ms<\/td><td class="n">117 ms<\/td>/,
  );

  const hour = await page("/stats?range=1h", cookie);
  assert.match(hour.html, /id="total-all"><b>1<\/b>queries/, "only the newest is in the last hour");
  const hourTicks = [...hour.html.matchAll(/class="axis" text-anchor="middle">([^<]*)</g)].map((
    m,
  ) => m[1]);
  assert.deepEqual(hourTicks, ["11:40", "11:50", "12:00", "12:10", "12:20", "12:30 UTC"]);
  const byDefault = await page("/stats", cookie);
  assert.match(byDefault.html, /<h2>Queries, last 24h<\/h2>/);
  const quarter = await page("/stats?range=90d", cookie);
  assert.equal([...quarter.html.matchAll(/<rect class="answered"/g)].length, 90);
  const bad = await page("/stats?range=constructor", cookie);
  assert.equal(bad.status, 400);
  assert.match(bad.html, /range=&quot;constructor&quot;: expected one of 1h, 24h, 7d, 30d, 90d/);
});

Deno.test("a client's page shows its statistics and its queries alone", async () => {
  const { login, page } = await dashboardApp({ dashboard: { history: history() } });
  const cookie = await login();
  const tablet = await page("/client/Kids%20tablet?range=7d", cookie);
  assert.equal(tablet.status, 200);
  assert.match(tablet.html, /<h2>Queries of Kids tablet, last 7d<\/h2>/);
  assert.match(tablet.html, /<a href="\/client\/Kids%20tablet\?range=30d" ?>30d<\/a>/);
  assert.match(tablet.html, /id="total-all"><b>4<\/b>queries/);
  assert.doesNotMatch(tablet.html, /id="top-clients"/);
  const clients = [...tablet.html.matchAll(/<td title="192\.0\.2\.10">(Kids tablet)<\/td>/g)];
  assert.equal(clients.length, 4, "its four queries in the log table");
  assert.doesNotMatch(tablet.html, /192\.0\.2\.20/);
  assert.doesNotMatch(tablet.html, /<input name="client"/, "the client is the page's");
  assert.match(tablet.html, /<form method="get" action="\/client\/Kids%20tablet" id="log-search">/);
  const blocked = await page("/client/kids%20TABLET?outcome=blocked", cookie);
  assert.equal([...blocked.html.matchAll(/<td class="qname">ads\.example<\/td>/g)].length, 1);
  const nobody = await page("/client/192.0.2.99", cookie);
  assert.match(nobody.html, /id="total-all"><b>0<\/b>queries/);
  assert.match(nobody.html, /No query found\./);
  const long = await page(`/client/${"x".repeat(300)}`, cookie);
  assert.equal(long.status, 400);
});

Deno.test("the history views ask for a session", async () => {
  const { page } = await dashboardApp({ dashboard: { history: history() } });
  for (const path of ["/stats", "/client/192.0.2.10", "/log"]) {
    assert.equal((await page(path, "gw_session=not-a-session")).status, 303, path);
  }
});
