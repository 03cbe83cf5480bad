/**
 * Every admin call refuses a request without the token (401 with a Bearer challenge) and one
 * with a wrong token (403), and changes nothing; with no ADMIN_TOKEN the whole admin API is
 * off (404). The calls themselves are tested with the token in the admin_*_test files.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { localResolver } from "../support/local_resolver.ts";

const TOKEN = "auth-test-token-0123456789";

/** Every admin route, as method and path (with a body where it takes one). */
const CALLS: [string, string, string?][] = [
  ["GET", "/admin/blocklist"],
  ["POST", "/admin/blocklist/sync"],
  ["GET", "/admin/blocklist/check?name=ads.example"],
  ["GET", "/admin/blocklist/custom"],
  ["POST", "/admin/blocklist/custom/block", '{"names":["ads.example"]}'],
  ["DELETE", "/admin/blocklist/custom/block", '{"names":["ads.example"]}'],
  ["POST", "/admin/blocklist/custom/allow", '{"names":["ads.example"]}'],
  ["DELETE", "/admin/blocklist/custom/allow", '{"names":["ads.example"]}'],
  ["GET", "/admin/log"],
  ["POST", "/admin/cache/flush"],
  ["GET", "/admin/why?name=ads.example"],
];

function app(token: string | undefined) {
  const blocklist = new MemoryBlocklist();
  const sync = new ListSync(blocklist, [], { maxAgeMs: 0, maxBytes: 1024, timeoutMs: 100 });
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const cache = new AnswerCache();
  return {
    blocklist,
    app: createApp({
      resolver: localResolver({}),
      admin: {
        token,
        blocklist: { blocklist, sync },
        log: { log, instance: "t" },
        cache: { cache },
        why: { blocklist, cache },
      },
    }),
  };
}

Deno.test("every admin call answers 401 without a token and 403 with a wrong one, changing nothing", async () => {
  const { app: gateway, blocklist } = app(TOKEN);
  for (const [method, path, body] of CALLS) {
    const missing = await gateway.request(path, { method, body });
    assert.equal(missing.status, 401, `${method} ${path}`);
    assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="admin"');
    await missing.body?.cancel();
    for (const authorization of [`Bearer wrong-${TOKEN}`, `bearer ${TOKEN.slice(1)}`]) {
      const wrong = await gateway.request(path, { method, body, headers: { authorization } });
      assert.equal(wrong.status, 403, `${method} ${path}`);
      await wrong.body?.cancel();
    }
  }
  assert.deepEqual(await blocklist.customEntries(), { block: [], allow: [] }, "nothing added");
  const authorization = `Bearer ${TOKEN}`;
  await gateway.request("/admin/blocklist/custom/block", {
    method: "POST",
    body: '{"names":["kept.example"]}',
    headers: { authorization },
  });
  for (const [method, path, body] of CALLS) {
    const right = await gateway.request(path, { method, body, headers: { authorization } });
    assert.equal(right.status, 200, `${method} ${path} with the token`);
    await right.body?.cancel();
  }
  for (const [method, path, body] of CALLS.filter(([method]) => method !== "GET")) {
    const missing = await gateway.request(path, { method, body });
    await missing.body?.cancel();
  }
  assert.deepEqual(await blocklist.customEntries(), { block: ["kept.example"], allow: [] });
});

Deno.test("without ADMIN_TOKEN every admin call is 404, token or not", async () => {
  const { app: gateway } = app(undefined);
  for (const [method, path, body] of CALLS) {
    const response = await gateway.request(path, {
      method,
      body,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(response.status, 404, `${method} ${path}`);
    assert.equal(await response.text(), "admin API is off: set ADMIN_TOKEN to use it\n");
  }
});
