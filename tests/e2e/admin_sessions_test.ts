/**
 * The real gateways, two sharing a real Redis, as a browser and a guesser meet them: logging in
 * gives a session cookie that is not the admin token, known to both gateways; logging out on
 * one ends it on both, so a copy of the cookie taken before opens nothing; and wrong tokens,
 * through the login form or the admin API, get 429 with Retry-After once an address has sent
 * its budget of them, the right token included.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startRedis } from "../support/redis.ts";

const ADMIN_TOKEN = "e2e-sessions-token-0123456789";
const WRONG = "e2e-wrong-token-0123456789";

function post(gateway: Gateway, path: string, fields: Record<string, string>, cookie?: string) {
  return fetch(`${gateway.url}${path}`, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers: { origin: gateway.url, ...(cookie ? { cookie } : {}) },
    redirect: "manual",
  });
}

/** Whether the cookie opens the dashboard rather than the login form. */
async function opens(gateway: Gateway, cookie: string): Promise<boolean> {
  const html = await (await fetch(`${gateway.url}/`, { headers: { cookie } })).text();
  return !html.includes('action="/login"');
}

Deno.test({
  name: "a session cookie is no token, works on every gateway, and a log out ends it everywhere",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const env = { REDIS_URL: redis.url, ADMIN_TOKEN, LOG_QUERIES: "off" };
    const first = await startGateway({ env });
    const second = await startGateway({ env });
    try {
      const login = await post(first, "/login", { token: ADMIN_TOKEN });
      await login.body?.cancel();
      assert.equal(login.status, 303);
      const setCookie = login.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      const cookie = setCookie.split(";", 1)[0];
      assert.ok(!cookie.includes(ADMIN_TOKEN), `the cookie holds the token: ${cookie}`);
      assert.equal(await opens(first, cookie), true);
      assert.equal(await opens(second, cookie), true, "known to the other gateway");

      const logout = await post(second, "/logout", {}, cookie);
      await logout.body?.cancel();
      assert.equal(logout.status, 303);
      // A copy of the cookie, taken before the log out, on either gateway.
      assert.equal(await opens(first, cookie), false);
      assert.equal(await opens(second, cookie), false);
      assert.equal(first.stderr().includes("\n    at "), false, "no stack traces");
    } finally {
      await first.stop();
      await second.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "wrong admin tokens from one address get 429 with Retry-After after ten",
  ...integration([]),
  async fn() {
    const gateway = await startGateway({ env: { ADMIN_TOKEN, LOG_QUERIES: "off" } });
    try {
      const api = (token: string) =>
        fetch(`${gateway.url}/admin/log`, { headers: { authorization: `Bearer ${token}` } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await post(gateway, "/login", { token: WRONG });
        await response.body?.cancel();
        statuses.push(response.status);
      }
      for (let i = 0; i < 295; i++) {
        const response = await api(WRONG);
        await response.body?.cancel();
        statuses.push(response.status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(403));
      assert.deepEqual(statuses.slice(10), Array(290).fill(429));
      const right = await api(ADMIN_TOKEN);
      assert.equal(right.status, 429, "while refused, the right token too");
      assert.match(right.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
      assert.equal(
        await right.text(),
        "too many wrong admin tokens from this address: try later\n",
      );
      const form = await post(gateway, "/login", { token: ADMIN_TOKEN });
      assert.equal(form.status, 429);
      assert.equal(form.headers.get("set-cookie"), null);
      await form.body?.cancel();
    } finally {
      await gateway.stop();
    }
  },
});
