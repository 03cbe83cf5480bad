/**
 * The dashboard's lists page through `app.request()`, on a real catalog and sync of list files:
 * a list added through the form blocks its names, disabling drops it and enabling brings it
 * back, sync now reports, and each row shows its counts and its last sync; mistakes come back
 * as a notice; forms need the session and this origin.
 */
import assert from "node:assert/strict";
import { LazyListSync } from "../../blocklist/lazy_sync.ts";
import { openListCatalog } from "../../blocklist/list_catalog.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { Rcode } from "../../dns/mod.ts";
import { dashboardApp } from "../support/dashboard_app.ts";

async function setup(dir: string) {
  await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
  await Deno.writeTextFile(`${dir}/mail.txt`, "0.0.0.0 mail.example\n");
  const sources = [{ name: "ads", location: `${dir}/ads.txt`, kind: "block" as const }];
  const blocklist = new MemoryBlocklist();
  const base = new LazyListSync(blocklist, sources, {
    maxAgeMs: 3_600_000,
    maxBytes: 1 << 20,
    timeoutMs: 2000,
  });
  const lists = openListCatalog({ sources, dir, cwd: dir, sync: base });
  await lists.ready;
  await lists.sync.run();
  const app = await dashboardApp({ dashboard: { lists, blocklist }, stage: { blocklist } });
  const cookie = await app.login();
  const follow = async (response: Response) => {
    assert.equal(response.status, 303);
    return (await app.page(response.headers.get("location")!, cookie)).html;
  };
  return { ...app, cookie, follow };
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "dashboard-lists-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a list added on the lists page blocks its names; disabled, it blocks nothing", async () => {
  await withDir(async (dir) => {
    const { post, cookie, follow, rcodeOf, page } = await setup(dir);
    const first = await page("/lists", cookie);
    assert.match(first.html, /<tr id="list-ads"><td>ads<\/td><td>block<\/td><td>settings<\/td>/);
    assert.match(
      first.html,
      /<td class="state">enabled<\/td><td class="n">1<\/td><td class="n">0<\/td><td>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/td><td ?>file<\/td>/,
    );
    assert.match(first.html, /id="last-sync">Last sync: \d{4}-/);
    assert.equal(await rcodeOf("mail.example"), Rcode.NOERROR);

    const added = await follow(
      await post("/ui/lists/add", { name: "mail", location: "mail.txt", kind: "block" }, {
        cookie,
      }),
    );
    assert.match(added, /role="status">blocklist mail added\.<\/p>/);
    assert.match(
      added,
      /<tr id="list-mail"><td>mail<\/td><td>block<\/td><td>dashboard<\/td><td class="answer">[^<]*\/mail\.txt<\/td><td class="state">enabled<\/td><td class="n">1<\/td>/,
    );
    assert.match(added, /value="remove">remove<\/button>/);
    assert.equal(await rcodeOf("mail.example"), Rcode.NXDOMAIN);

    const disabled = await follow(
      await post("/ui/lists/state", { name: "mail", enabled: "no" }, { cookie }),
    );
    assert.match(disabled, /role="status">mail disabled\.<\/p>/);
    assert.match(disabled, /<tr id="list-mail">.*?<td class="state">disabled<\/td>/);
    assert.equal(await rcodeOf("mail.example"), Rcode.NOERROR);
    await follow(await post("/ui/lists/state", { name: "ads", enabled: "no" }, { cookie }));
    assert.equal(await rcodeOf("ads.example"), Rcode.NOERROR, "a setting's list too");
    // No block list is enabled: a choice, not "no blocklist loaded".
    assert.doesNotMatch((await page("/", cookie)).html, /id="problem"/);
    await follow(await post("/ui/lists/state", { name: "ads", enabled: "yes" }, { cookie }));
    assert.equal(await rcodeOf("ads.example"), Rcode.NXDOMAIN);

    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\nmore-ads.example\n");
    const synced = await follow(await post("/ui/lists/sync", {}, { cookie }));
    assert.match(synced, /role="status">Synced\.<\/p>/);
    assert.match(synced, /<tr id="list-ads">.*?<td class="n">2<\/td>/);
    assert.equal(await rcodeOf("more-ads.example"), Rcode.NXDOMAIN);

    const removed = await follow(
      await post("/ui/lists/state", { name: "mail", enabled: "remove" }, { cookie }),
    );
    assert.doesNotMatch(removed, /id="list-mail"/);
  });
});

Deno.test("the lists page says what is wrong with a list it cannot add", async () => {
  await withDir(async (dir) => {
    const { post, cookie, follow } = await setup(dir);
    const missing = await follow(
      await post("/ui/lists/add", { name: "x", location: "nope.txt", kind: "block" }, { cookie }),
    );
    assert.match(missing, new RegExp(`role="alert">${dir}/nope\\.txt: no such file</p>`));
    const taken = await follow(
      await post("/ui/lists/add", { name: "ads", location: "mail.txt", kind: "allow" }, { cookie }),
    );
    assert.match(taken, /role="alert">the list name &quot;ads&quot; is used twice<\/p>/);
    const nothing = await follow(
      await post("/ui/lists/state", { name: "ghost", enabled: "no" }, { cookie }),
    );
    assert.match(nothing, /role="alert">no list named &quot;ghost&quot;<\/p>/);
  });
});

Deno.test("the lists page's forms need the session and this origin", async () => {
  await withDir(async (dir) => {
    const { post, cookie, rcodeOf, page } = await setup(dir);
    assert.equal((await page("/lists", "")).status, 303);
    await post("/ui/lists/add", { name: "mail", location: "mail.txt", kind: "block" }, {});
    const forged = await post("/ui/lists/add", {
      name: "mail",
      location: "mail.txt",
      kind: "block",
    }, {
      cookie,
      origin: "https://evil.example",
    });
    assert.equal(forged.status, 403);
    assert.equal(await rcodeOf("mail.example"), Rcode.NOERROR);
    assert.doesNotMatch((await page("/lists", cookie)).html, /id="list-mail"/);
  });
});
