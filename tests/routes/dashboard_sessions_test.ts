/**
 * Dashboard sessions: the cookie holds a random session id, never the admin token; logging
 * out ends the session on the server, so a captured cookie stops working; a session ends after
 * its lifetime; memory holds a bounded number of them; and with Redis every instance sharing it
 * knows the sessions, a log out on one ending them on all.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { QueryStats } from "../../observe/stats.ts";
import { MemorySessions, RedisSessions, SESSION_SECONDS } from "../../routes/sessions.ts";
import type { SessionStore } from "../../routes/sessions.ts";
import { integration } from "../support/binaries.ts";
import { localResolver } from "../support/local_resolver.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";
import { inspect } from "../support/redis_inspect.ts";

const TOKEN = "sessions-test-token-0123456789";

function dashboard(sessions?: SessionStore) {
  const app = createApp({
    resolver: localResolver({}),
    dashboard: {
      token: TOKEN,
      instance: "t",
      stats: new QueryStats(),
      log: createQueryLog({ toStdout: false, capacity: 10 }),
      blocklist: new MemoryBlocklist(),
      sessions,
    },
  });
  const post = (path: string, fields: Record<string, string>, cookie?: string) =>
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
  return {
    /** Logs in; the cookie as a browser sends it back. */
    async login(): Promise<string> {
      const response = await post("/login", { token: TOKEN });
      assert.equal(response.status, 303);
      return (response.headers.get("set-cookie") ?? "").split(";", 1)[0];
    },
    async logout(cookie: string): Promise<string | null> {
      const response = await post("/logout", {}, cookie);
      assert.equal(response.status, 303);
      return response.headers.get("set-cookie");
    },
    /** Whether the cookie opens the dashboard (rather than the login form). */
    async opens(cookie: string): Promise<boolean> {
      const html = await (await app.request("/", { headers: { cookie } })).text();
      return !html.includes('action="/login"');
    },
  };
}

Deno.test("the cookie is a session id, not the token, and logging out ends it on the server", async () => {
  const gateway = dashboard();
  const cookie = await gateway.login();
  assert.match(cookie, /^gw_session=[A-Za-z0-9_-]{43}$/);
  assert.ok(!cookie.includes(TOKEN));
  assert.notEqual(await gateway.login(), cookie, "a new id each time");
  assert.equal(await gateway.opens(cookie), true);
  assert.equal(await gateway.opens(`gw_session=${TOKEN}`), false, "the token is no session");
  assert.equal(await gateway.opens(`gw_admin=${TOKEN}`), false, "nor the old cookie");
  const cleared = await gateway.logout(cookie);
  assert.match(cleared ?? "", /^gw_session=;.*Max-Age=0/);
  // A copy of the cookie taken before the log out (the browser dropped its own).
  assert.equal(await gateway.opens(cookie), false);
});

Deno.test("a session ends after its lifetime, and memory holds a bounded number of them", async () => {
  let now = 0;
  const sessions = new MemorySessions({ now: () => now });
  const gateway = dashboard(sessions);
  const cookie = await gateway.login();
  now += SESSION_SECONDS * 1000 - 1;
  assert.equal(await gateway.opens(cookie), true);
  now += 1;
  assert.equal(await gateway.opens(cookie), false);

  const first = await sessions.start();
  for (let i = 0; i < 1000; i++) await sessions.start();
  assert.equal(await sessions.isLive(first), false, "the oldest made room");
  assert.equal(await sessions.isLive(await sessions.start()), true);
});

for (const [client, connect] of REDIS_CLIENTS) {
  Deno.test({
    name: `sessions in Redis (${client}) are known to every instance; a log out on one ends them`,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      const first = connect(redis);
      const second = connect(redis);
      try {
        const one = dashboard(new RedisSessions(first.store, { prefix: "t:" }));
        const two = dashboard(new RedisSessions(second.store, { prefix: "t:" }));
        const cookie = await one.login();
        assert.equal(await two.opens(cookie), true, "logged in on one, known on the other");
        assert.equal(await two.opens(`gw_session=${"A".repeat(43)}`), false);
        assert.equal(await two.opens(`gw_session=${TOKEN}`), false);
        await two.logout(cookie);
        assert.equal(await one.opens(cookie), false, "logged out on the other, gone here too");
        // Redis holds a hash of the id, with the session's lifetime.
        const id = cookie.slice(cookie.indexOf("=") + 1);
        const again = await one.login();
        const keys = await inspect(redis, "KEYS", "t:session:*") as string[];
        assert.equal(keys.length, 1);
        assert.ok(!keys[0].includes(id) && !keys[0].includes(again.slice(11)));
        const ttl = Number(await inspect(redis, "TTL", keys[0]));
        assert.ok(ttl > SESSION_SECONDS - 60 && ttl <= SESSION_SECONDS, `TTL ${ttl}`);
      } finally {
        await first.close();
        await second.close();
        await redis.stop();
      }
    },
  });
}
