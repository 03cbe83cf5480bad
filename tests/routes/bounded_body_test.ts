/**
 * Request bodies are bounded in time as well as size: a body that trickles in (slowloris)
 * is 408 at the deadline, one that is declared too large is 413 before a byte is read, one
 * the client abandons is 400 — on DoH and on every other route that reads a body.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { MAX_QUERY_BYTES } from "../../routes/doh_door.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const TIMEOUT_MS = 200;
const app = createApp({
  resolver: localResolver({ "www.example": ["192.0.2.1"] }),
  bodyTimeoutMs: TIMEOUT_MS,
});

/** A body sending `bytes` one byte every `everyMs`; `cancelled` says whether the reader gave up. */
function trickle(bytes: Uint8Array, everyMs: number) {
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) =>
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (sent < bytes.length) controller.enqueue(bytes.subarray(sent, ++sent));
          else controller.close();
          resolve();
        }, everyMs);
      }),
    cancel: () => {
      clearTimeout(timer);
      state.cancelled = true;
    },
  });
  return { body, state };
}

const dnsPost = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  app.request("/dns-query", {
    method: "POST",
    body,
    headers: { "content-type": "application/dns-message", ...headers },
  });

Deno.test("a DoH POST body trickling in a byte at a time is 408 at the body timeout", async () => {
  const { body, state } = trickle(makeQuery("www.example", RType.A), 50);
  const started = performance.now();
  const response = await dnsPost(body);
  const elapsed = performance.now() - started;
  assert.equal(response.status, 408);
  assert.equal(await response.text(), `request body not received within ${TIMEOUT_MS} ms\n`);
  assert.ok(elapsed >= TIMEOUT_MS - 5 && elapsed < TIMEOUT_MS + 300, `408 after ${elapsed} ms`);
  assert.ok(state.cancelled, "the body is given up, not left to trickle");
});

Deno.test("a DoH POST body arriving in pieces within the timeout is answered", async () => {
  const { body } = trickle(makeQuery("www.example", RType.A, { id: 3 }), 1);
  const response = await dnsPost(body);
  assert.equal(response.status, 200);
  const reply = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  assert.equal(reply.header.id, 3);
  assert.equal(reply.answers.length, 1);
});

Deno.test("a body declared over the limit is 413 before any of it is read", async () => {
  const { body, state } = trickle(new Uint8Array(10), 1000);
  const response = await dnsPost(body, { "content-length": String(MAX_QUERY_BYTES + 1) });
  assert.equal(response.status, 413);
  assert.equal(await response.text(), `DNS message too large: at most ${MAX_QUERY_BYTES} bytes\n`);
  assert.ok(state.cancelled);
});

Deno.test("a body the client abandons half-way is 400, not an internal error", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([0, 1, 2]));
      controller.error(new Error("connection reset"));
    },
  });
  const response = await dnsPost(body);
  assert.equal(response.status, 400);
  assert.equal(await response.text(), "request body ended early\n");
});

Deno.test("bodies of every other route are bounded in time too", async () => {
  const { body } = trickle(new TextEncoder().encode("token=0123456789abcdef"), 50);
  const response = await app.request("/login", {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(response.status, 408);
  await response.body?.cancel();
});
