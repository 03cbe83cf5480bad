/**
 * The admin API through `app.request()`: off without a token, 401 without one sent, 403 for
 * a wrong one; then every blocklist call with the right token, and its effect on the next
 * DoH query through the same app.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const TOKEN = "0123456789abcdef-admin";

/** A request to the admin API: `auth` null sends none, undefined the right token. */
interface AdminCall {
  method?: string;
  headers?: HeadersInit;
  body?: string;
  auth?: string | null;
}

async function setup({ token }: { token?: string } = { token: TOKEN }) {
  const dir = await Deno.makeTempDir({ prefix: "admin-test-" });
  const listFile = `${dir}/list.txt`;
  await Deno.writeTextFile(listFile, "0.0.0.0 ads.example\n");
  const blocklist = new MemoryBlocklist();
  const sync = new ListSync(blocklist, [{ name: "file", location: listFile, kind: "block" }], {
    maxAgeMs: 0,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
  });
  const stats = { blocked: 0, allowed: 0, errors: 0 };
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 60 },
    failMode: "open",
    stats,
  });
  const resolver = localResolver({ "www.example": ["192.0.2.1"] }, { extraStages: [stage] });
  const app = createApp({ resolver, admin: { token, blocklist: { blocklist, sync, stats } } });
  const call = (path: string, init: AdminCall = {}) => {
    const headers = new Headers(init.headers);
    const auth = init.auth === undefined ? `Bearer ${TOKEN}` : init.auth;
    if (auth !== null) headers.set("authorization", auth);
    return app.request(path, { ...init, headers });
  };
  const rcodeOf = async (name: string) => {
    const query = makeQuery(name, RType.A).toBase64({ alphabet: "base64url", omitPadding: true });
    const response = await app.request(`/dns-query?dns=${query}`);
    return decodeMessage(new Uint8Array(await response.arrayBuffer())).header.rcode;
  };
  return {
    call,
    rcodeOf,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("without ADMIN_TOKEN the admin API is off: 404 with the reason", async () => {
  await using t = await setup({});
  const response = await t.call("/admin/blocklist");
  assert.equal(response.status, 404);
  assert.equal(await response.text(), "admin API is off: set ADMIN_TOKEN to use it\n");
});

Deno.test("admin calls without a token get 401 and a Bearer challenge; a wrong one 403", async () => {
  await using t = await setup();
  for (const [path, method] of [["/admin/blocklist", "GET"], ["/admin/blocklist/sync", "POST"]]) {
    const missing = await t.call(path, { method, auth: null });
    assert.equal(missing.status, 401, path);
    assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="admin"');
    assert.equal(await missing.text(), "admin API needs Authorization: Bearer <ADMIN_TOKEN>\n");
    const wrong = await t.call(path, { method, auth: "Bearer not-the-token-at-all" });
    assert.equal(wrong.status, 403);
    assert.equal(await wrong.text(), "wrong admin token\n");
    const basic = await t.call(path, { method, auth: `Basic ${btoa("admin:" + TOKEN)}` });
    assert.equal(basic.status, 401);
  }
  assert.equal(await t.rcodeOf("ads.example"), Rcode.NXDOMAIN, "the table has no such name");
});

Deno.test("POST /admin/blocklist/sync loads the lists and answers the report", async () => {
  await using t = await setup();
  const response = await t.call("/admin/blocklist/sync", { method: "POST" });
  assert.equal(response.status, 200);
  const report = await response.json();
  assert.deepEqual(
    report.lists.map((l: { name: string; outcome: string }) => [l.name, l.outcome]),
    [
      ["file", "file"],
    ],
  );
  const summary = await (await t.call("/admin/blocklist")).json();
  assert.deepEqual(
    summary.lists.map((l: { name: string; blockEntries: number }) => [l.name, l.blockEntries]),
    [["custom", 0], ["file", 1]],
  );
  assert.equal(summary.sources[0].name, "file");
  assert.equal(await t.rcodeOf("x.ads.example"), Rcode.NXDOMAIN);
  const after = await (await t.call("/admin/blocklist")).json();
  assert.deepEqual(after.stats, { blocked: 1, allowed: 0, errors: 0 });
  assert.equal(summary.lastSync.lists[0].name, "file");
});

Deno.test("GET /admin/blocklist/check explains the decision for a name", async () => {
  await using t = await setup();
  await t.call("/admin/blocklist/sync", { method: "POST" });
  const blocked = await (await t.call("/admin/blocklist/check?name=WWW.Ads.Example.")).json();
  assert.deepEqual(blocked, {
    name: "www.ads.example",
    verdict: "blocked",
    rule: { list: "file", entry: "ads.example" },
  });
  const none = await (await t.call("/admin/blocklist/check?name=www.example")).json();
  assert.deepEqual(none, { name: "www.example", verdict: "none" });
  const bad = await t.call("/admin/blocklist/check?name=bad..name");
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /^name "bad\.\.name": .+\n$/);
  assert.equal((await t.call("/admin/blocklist/check")).status, 400);
});

Deno.test("custom entries added and removed take effect on the next DoH query", async () => {
  await using t = await setup();
  const body = (names: unknown) => JSON.stringify({ names });
  const headers = { "content-type": "application/json" };
  assert.equal(await t.rcodeOf("www.example"), Rcode.NOERROR);
  const added = await t.call("/admin/blocklist/custom/block", {
    method: "POST",
    headers,
    body: body(["Example."]),
  });
  assert.equal(added.status, 200);
  assert.deepEqual(await added.json(), { added: 1, names: ["example"] });
  assert.equal(await t.rcodeOf("www.example"), Rcode.NXDOMAIN);

  await t.call("/admin/blocklist/custom/allow", {
    method: "POST",
    headers,
    body: body(["www.example"]),
  });
  assert.equal(await t.rcodeOf("www.example"), Rcode.NOERROR, "allow wins");
  assert.deepEqual(await (await t.call("/admin/blocklist/custom")).json(), {
    block: ["example"],
    allow: ["www.example"],
  });

  const removed = await t.call("/admin/blocklist/custom/allow", {
    method: "DELETE",
    headers,
    body: body(["www.example"]),
  });
  assert.deepEqual(await removed.json(), { removed: 1, names: ["www.example"] });
  assert.equal(await t.rcodeOf("www.example"), Rcode.NXDOMAIN);
});

Deno.test("bad edits get 400 with a one-line reason, unknown kinds 404", async () => {
  await using t = await setup();
  const post = (path: string, body: string) => t.call(path, { method: "POST", body });
  const cases: [string, string, RegExp][] = [
    ["/admin/blocklist/custom/block", "not json", /^expected a JSON body/],
    ["/admin/blocklist/custom/block", "{}", /^expected a JSON body/],
    ["/admin/blocklist/custom/block", '{"names": []}', /^expected a JSON body/],
    ["/admin/blocklist/custom/block", '{"names": [1]}', /^names must be strings, got 1/],
    ["/admin/blocklist/custom/block", '{"names": ["10.0.0.1"]}', /^name "10\.0\.0\.1": an IP/],
  ];
  for (const [path, body, expected] of cases) {
    const response = await post(path, body);
    assert.equal(response.status, 400, body);
    assert.match(await response.text(), expected);
  }
  const many = JSON.stringify({ names: Array.from({ length: 10_001 }, (_, i) => `n${i}.example`) });
  assert.match(await (await post("/admin/blocklist/custom/block", many)).text(), /at most 10000/);
  assert.equal(
    (await post("/admin/blocklist/custom/other", '{"names":["a.example"]}')).status,
    404,
  );
  const huge = "x".repeat(2 * 1024 * 1024);
  assert.equal((await post("/admin/blocklist/custom/block", huge)).status, 413);
});
