/**
 * createStore() picks the client from the settings: Upstash REST when both of its settings
 * are there, redis:// when a URL is, none (memory only) otherwise.
 */
import assert from "node:assert/strict";
import { createStore } from "../../store/create.ts";
import { freePort } from "../support/ports.ts";

Deno.test("createStore() gives no store without Redis settings (memory-only mode)", async () => {
  assert.equal(await createStore({}), undefined);
  assert.equal(await createStore({ upstashUrl: "https://x.upstash.io" }), undefined);
});

Deno.test("createStore() prefers Upstash REST when its URL and token are both set", async () => {
  const store = await createStore({
    url: "redis://127.0.0.1:1",
    upstashUrl: "https://eu1-example.upstash.io",
    upstashToken: "secret-token",
  });
  assert.equal(store?.description, "https://eu1-example.upstash.io (Upstash REST)");
  await store?.close();
});

Deno.test("createStore() uses redis:// from a URL, and never prints its password", async () => {
  const port = freePort(); // nothing listens there: the client keeps trying, quietly
  const store = await createStore({
    url: `redis://user:hunter2@127.0.0.1:${port}/2`,
    timeoutMs: 50,
  });
  try {
    assert.equal(store?.description, `redis://127.0.0.1:${port} (ioredis)`);
  } finally {
    await store?.close();
  }
});
