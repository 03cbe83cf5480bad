/** The HTTP door main.ts serves: DoH at once through the fast path, the rest once the app loads. */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { lazyApp } from "../../routes/lazy_app.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import type { Stage } from "../../pipeline/types.ts";

const local: Stage = (ctx) => replyAnswer(ctx.query, { rcode: 3 }, "local");
const info = {
  remoteAddr: { transport: "tcp" as const, hostname: "192.0.2.8", port: 5353 },
  completed: Promise.resolve(),
};

Deno.test("a DoH query is answered by the fast path, before and without the app", async () => {
  const door = lazyApp({ resolver: localResolver({}, { extraStages: [local] }) });
  const dns = makeQuery("www.example", RType.A, { id: 11 })
    .toBase64({ alphabet: "base64url", omitPadding: true });
  const response = door.fetch(new Request(`http://gw/dns-query?dns=${dns}`), info);
  assert.ok(response instanceof Response, "no app to wait for");
  assert.equal(decodeMessage(new Uint8Array(await response.arrayBuffer())).header.id, 11);
});

Deno.test("every other request waits for the app once, then is answered by its routes", async () => {
  const door = lazyApp({ resolver: localResolver({ "www.example": ["192.0.2.1"] }) });
  const health = await door.fetch(new Request("http://gw/health"), info);
  assert.equal(health.status, 200);
  const json = await door.fetch(new Request("http://gw/resolve?name=www.example&type=A"), info);
  assert.equal((await json.json()).Answer[0].data, "192.0.2.1");
  const missing = await door.fetch(new Request("http://gw/nowhere"), info);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const bad = await door.fetch(new Request("http://gw/dns-query?dns=***"), info);
  assert.equal(bad.status, 400, "what the fast path leaves alone, the DoH routes word");
  await bad.body?.cancel();
  await door.preload();
});

Deno.test("an app that fails to load is reported, answered 500, and loaded again next time", async () => {
  const reported: unknown[] = [];
  let attempts = 0;
  const door = lazyApp(
    { resolver: localResolver({}), reportError: (error) => reported.push(error) },
    () => ++attempts === 1 ? Promise.reject(new Error("module failed")) : import("../../app.ts"),
  );
  const first = await door.fetch(new Request("http://gw/health"), info);
  assert.equal(first.status, 500);
  assert.equal(await first.text(), "internal error\n");
  assert.equal(String(reported[0]), "Error: module failed");
  const second = await door.fetch(new Request("http://gw/health"), info);
  assert.equal(second.status, 200);
  await second.body?.cancel();
  assert.equal(attempts, 2);
});
