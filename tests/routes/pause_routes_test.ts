/**
 * Pausing blocking through the admin API and the dashboard's buttons, in front of the real
 * blocklist stage: a listed name resolves while paused and is blocked again once resumed;
 * lengths out of bounds are refused naming the rule; forms need the session and this origin.
 */
import assert from "node:assert/strict";
import { BlockingPause } from "../../blocklist/pause.ts";
import { Rcode } from "../../dns/mod.ts";
import { dashboardApp } from "../support/dashboard_app.ts";

async function setup() {
  const pause = new BlockingPause({ print: () => {} });
  const app = await dashboardApp({ stage: { pause }, admin: { pause }, dashboard: { pause } });
  return { ...app, pause };
}

Deno.test("POST /admin/pause pauses blocking for a while or until DELETE resumes it", async () => {
  const { admin, rcodeOf, pause } = await setup();
  try {
    assert.deepEqual(await (await admin("/admin/pause")).json(), { paused: false });
    assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
    const before = Date.now();
    const paused = await admin("/admin/pause", { method: "POST", body: '{"minutes":5}' });
    assert.equal(paused.status, 200);
    const state = await paused.json();
    assert.equal(state.paused, true);
    const until = Date.parse(state.until);
    assert.ok(until >= before + 5 * 60_000 && until <= Date.now() + 5 * 60_000);
    assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR);
    assert.deepEqual(await (await admin("/admin/pause", { method: "DELETE" })).json(), {
      paused: false,
    });
    assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
    const forever = await admin("/admin/pause", { method: "POST", body: "{}" });
    assert.deepEqual(await forever.json(), { paused: true });
    assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR);
  } finally {
    pause.close();
  }
});

Deno.test("/admin/pause refuses a length it cannot take, and asks for the token", async () => {
  const { admin, app, pause } = await setup();
  for (
    const [body, said] of [
      ['{"minutes":0}', /minutes=0: expected a whole number from 1 to 10080/],
      ['{"minutes":1.5}', /minutes=1\.5: expected a whole number/],
      ['{"minutes":"soon"}', /minutes="soon": expected a whole number/],
      ["not json", /expected a JSON body: \{"minutes": 5\}/],
    ] as const
  ) {
    const response = await admin("/admin/pause", { method: "POST", body });
    assert.equal(response.status, 400, body);
    assert.match(await response.text(), said);
  }
  assert.equal(pause.paused(), false);
  const anonymous = await app.request("/admin/pause", { method: "POST", body: "{}" });
  assert.equal(anonymous.status, 401);
  assert.equal(pause.paused(), false);
});

Deno.test("the dashboard shows whether blocking is on and pauses and resumes it", async () => {
  const { login, page, post, rcodeOf, pause } = await setup();
  try {
    const cookie = await login();
    const on = await page("/", cookie);
    assert.match(on.html, /<p id="pause-state" class="note">On: the lists decide\.<\/p>/);
    assert.doesNotMatch(on.html, /id="resume"/);
    const paused = await post("/ui/pause", { minutes: "60" }, { cookie });
    assert.equal(paused.status, 303);
    assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR);
    const shown = await page("/", cookie);
    const until = new Date(pause.state().until!).toISOString().slice(0, 16).replace("T", " ");
    assert.match(
      shown.html,
      new RegExp(`id="pause-state" class="note error">Paused until ${until} UTC: no list blocks`),
    );
    await post("/ui/resume", {}, { cookie });
    assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
    await post("/ui/pause", { minutes: "" }, { cookie });
    assert.match((await page("/", cookie)).html, /Paused until resumed: no list blocks anything\./);
    await post("/ui/resume", {}, { cookie });
    const bad = await post("/ui/pause", { minutes: "-3" }, { cookie });
    assert.equal(bad.status, 400);
    // Neither without the session nor from another origin.
    await post("/ui/pause", { minutes: "5" }, {});
    const forged = await post("/ui/pause", { minutes: "5" }, {
      cookie,
      origin: "https://evil.example",
    });
    assert.equal(forged.status, 403);
    assert.equal(pause.paused(), false);
    assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);
  } finally {
    pause.close();
  }
});
