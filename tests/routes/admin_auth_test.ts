/**
 * Every admin call refuses a request without the token (401 with a Bearer challenge) and one
 * with a wrong token (403), and changes nothing; with no ADMIN_TOKEN the whole admin API is
 * off (404). Wrong tokens, through the API or the dashboard's login form, are throttled per
 * client address (429). The calls themselves are tested with the token in the admin_*_test
 * files.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { AnswerCache } from "../../cache/answer_cache.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { RecentHistory } from "../../observe/recent_history.ts";
import { QueryStats } from "../../observe/stats.ts";
import { AuthThrottle } from "../../routes/auth_throttle.ts";
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

function app(token: string | undefined, throttle = new AuthThrottle({ burst: 1000 })) {
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
        log: { history: new RecentHistory(log), instance: "t" },
        cache: { cache },
        why: { blocklist, cache },
      },
      dashboard: { token, instance: "t", stats: new QueryStats(), log, blocklist },
      authThrottle: throttle,
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

Deno.test("wrong tokens are throttled per client address, through the API and the login form alike", async () => {
  let now = 1_000_000;
  const throttle = new AuthThrottle({ burst: 3, perMinute: 6, now: () => now });
  const { app: gateway } = app(TOKEN, throttle);
  const from = (hostname: string) => ({ remoteAddr: { transport: "tcp", hostname, port: 1 } });
  const bearer = (hostname: string, token: string) =>
    gateway.request(
      "/admin/log",
      { headers: { authorization: `Bearer ${token}` } },
      from(hostname),
    );
  const login = (hostname: string, token: string) =>
    gateway.request("http://gw.test/login", {
      method: "POST",
      body: new URLSearchParams({ token }).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://gw.test",
        host: "gw.test",
      },
    }, from(hostname));
  const status = async (response: Response | Promise<Response>) => {
    const done = await response;
    await done.body?.cancel();
    return done.status;
  };

  // Three wrong tokens, the form's and the API's in one budget; then even the right one waits.
  assert.equal(await status(bearer("2001:db8::1", "wrong-token-0123456789")), 403);
  assert.equal(await status(login("2001:db8::2", "wrong-token-0123456789")), 403);
  assert.equal(await status(bearer("2001:db8:0:0:ffff::3", "wrong-token-0123456789")), 403);
  for (const address of ["2001:db8::1", "2001:db8::4"]) {
    const refused = await bearer(address, TOKEN);
    assert.equal(refused.status, 429, "the same /64");
    assert.equal(refused.headers.get("retry-after"), "10");
    assert.equal(
      await refused.text(),
      "too many wrong admin tokens from this address: try later\n",
    );
    const form = await login(address, TOKEN);
    assert.equal(form.status, 429);
    assert.equal(form.headers.get("set-cookie"), null, "no session");
    assert.match(await form.text(), /too many wrong admin tokens/);
  }
  // Other addresses are not held back.
  assert.equal(await status(bearer("2001:db8:1::1", TOKEN)), 200);
  assert.equal(await status(bearer("192.0.2.1", TOKEN)), 200);
  assert.equal(await status(login("192.0.2.1", TOKEN)), 303);
  // A right token costs nothing: many in a row pass.
  for (let i = 0; i < 10; i++) assert.equal(await status(bearer("192.0.2.1", TOKEN)), 200);
  // The budget refills: one attempt per 10 s.
  now += 10_000;
  assert.equal(await status(bearer("2001:db8::1", TOKEN)), 200);
  assert.equal(await status(bearer("2001:db8::1", "wrong-token-0123456789")), 403);
  assert.equal(await status(bearer("2001:db8::1", TOKEN)), 429);
});
