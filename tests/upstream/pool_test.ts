/**
 * The pool's failover order, per-attempt timeouts, SERVFAIL/REFUSED handling and backoff,
 * with scripted transports and an injected clock (no real network, no sleeping on backoff).
 */
import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { AllUpstreamsFailedError, UpstreamError } from "../../upstream/errors.ts";
import { UpstreamPool } from "../../upstream/pool.ts";
import type { Transport } from "../../upstream/transport.ts";
import type { Deadline } from "../../runtime/deadline.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, replyTo } from "../support/fake_upstreams.ts";

type Behaviour = "answer" | "silent" | "down" | "servfail" | "refused" | "busy";

/** A transport that behaves as told and counts its queries. */
function scripted(name: string, behaviour: () => Behaviour): Transport & { asked: number } {
  const transport = {
    name,
    asked: 0,
    query(query: Uint8Array, deadline: Deadline): Promise<Uint8Array> {
      transport.asked++;
      switch (behaviour()) {
        case "answer":
          return Promise.resolve(addressReply(query, "192.0.2.1"));
        case "servfail":
          return Promise.resolve(replyTo(query, { rcode: Rcode.SERVFAIL }));
        case "refused":
          return Promise.resolve(replyTo(query, { rcode: Rcode.REFUSED }));
        case "down":
          return Promise.reject(new UpstreamError(name, "network", "connection refused"));
        case "busy":
          return Promise.reject(new UpstreamError(name, "busy", "no room for another"));
        case "silent":
          return new Promise((_, reject) =>
            deadline.signal.addEventListener(
              "abort",
              () => reject(new UpstreamError(name, "timeout", "no reply in time")),
              { once: true },
            )
          );
      }
    },
    close() {},
  };
  return transport;
}

const query = makeQuery("a.example", RType.A);

Deno.test("pool answers from the first upstream that works, in configured order", async () => {
  const a = scripted("a", () => "down");
  const b = scripted("b", () => "answer");
  const c = scripted("c", () => "answer");
  const pool = new UpstreamPool([a, b, c], { attemptTimeoutMs: 100 });
  const reply = await pool.resolve(query, AbortSignal.timeout(1000));
  assert.equal(reply.upstream, "b");
  assert.equal(reply.attempts, 2);
  assert.equal(c.asked, 0);
});

Deno.test("pool gives a silent upstream its attempt timeout, then asks the next", async () => {
  const pool = new UpstreamPool(
    [scripted("silent", () => "silent"), scripted("ok", () => "answer")],
    { attemptTimeoutMs: 100 },
  );
  const started = performance.now();
  const reply = await pool.resolve(query, AbortSignal.timeout(1000));
  const elapsed = performance.now() - started;
  assert.equal(reply.upstream, "ok");
  assert.ok(elapsed >= 95 && elapsed < 500, `took ${elapsed} ms`);
});

Deno.test("pool treats REFUSED as a failure and moves on", async () => {
  const pool = new UpstreamPool(
    [scripted("refusing", () => "refused"), scripted("ok", () => "answer")],
    { attemptTimeoutMs: 100 },
  );
  assert.equal((await pool.resolve(query, AbortSignal.timeout(1000))).upstream, "ok");
});

Deno.test("pool tries others after SERVFAIL and returns that SERVFAIL when nobody does better", async () => {
  const failing = scripted("failing", () => "servfail");
  const refusing = scripted("refusing", () => "refused");
  const pool = new UpstreamPool([failing, refusing], { attemptTimeoutMs: 100 });
  const reply = await pool.resolve(query, AbortSignal.timeout(1000));
  assert.equal(reply.upstream, "failing");
  assert.equal(reply.bytes[3] & 0xf, Rcode.SERVFAIL);
  assert.equal(reply.attempts, 2);
  // A SERVFAIL for one name is not held against the upstream.
  assert.deepEqual(pool.order(), ["failing", "refusing"]);
});

Deno.test("pool moves on when it had no room to ask an upstream, and keeps its order", async () => {
  let busy = true;
  const first = scripted("first", () => busy ? "busy" : "answer");
  const pool = new UpstreamPool([first, scripted("second", () => "answer")], {
    attemptTimeoutMs: 100,
  });
  assert.equal((await pool.resolve(query, AbortSignal.timeout(1000))).upstream, "second");
  // Our lack of room says nothing of the upstream: it is not backed off.
  assert.deepEqual(pool.order(), ["first", "second"]);
  busy = false;
  assert.equal((await pool.resolve(query, AbortSignal.timeout(1000))).upstream, "first");
});

Deno.test("pool rejects with every failure listed when all fail, within the budget", async () => {
  const pool = new UpstreamPool(
    [scripted("a", () => "down"), scripted("b", () => "silent"), scripted("c", () => "refused")],
    { attemptTimeoutMs: 100 },
  );
  await assert.rejects(pool.resolve(query, AbortSignal.timeout(1000)), (error) => {
    assert.ok(error instanceof AllUpstreamsFailedError);
    assert.deepEqual(error.failures.map((f) => [f.upstream, f.kind]), [
      ["a", "network"],
      ["b", "timeout"],
      ["c", "rcode"],
    ]);
    assert.match(error.message, /^all upstreams failed: a: connection refused; b: no reply/);
    return true;
  });
});

Deno.test("pool stops at the query budget even when attempts would allow more", async () => {
  const pool = new UpstreamPool(
    [scripted("a", () => "silent"), scripted("b", () => "silent"), scripted("c", () => "silent")],
    { attemptTimeoutMs: 1000 },
  );
  const started = performance.now();
  await assert.rejects(pool.resolve(query, AbortSignal.timeout(150)), AllUpstreamsFailedError);
  assert.ok(performance.now() - started < 600);
});

Deno.test("pool backs a failing upstream off behind healthy ones, doubling, and restores it", async () => {
  let now = 0;
  let firstWorks = false;
  const first = scripted("first", () => firstWorks ? "answer" : "down");
  const second = scripted("second", () => "answer");
  const pool = new UpstreamPool([first, second], {
    attemptTimeoutMs: 100,
    backoffMs: 1000,
    maxBackoffMs: 4000,
    now: () => now,
  });
  await pool.resolve(query, AbortSignal.timeout(1000));
  assert.deepEqual(pool.order(), ["second", "first"]);
  now = 999;
  await pool.resolve(query, AbortSignal.timeout(1000));
  assert.equal(first.asked, 1, "backed-off upstream is not asked while others answer");
  now = 1000;
  assert.deepEqual(pool.order(), ["first", "second"]);
  await pool.resolve(query, AbortSignal.timeout(1000)); // fails again: 2 s backoff
  now = 2999;
  assert.deepEqual(pool.order(), ["second", "first"]);
  now = 3000;
  firstWorks = true;
  assert.equal((await pool.resolve(query, AbortSignal.timeout(1000))).upstream, "first");
  now = 3001;
  assert.deepEqual(pool.order(), ["first", "second"]);
});

Deno.test("pool still tries a backed-off upstream as the last resort", async () => {
  let state: Behaviour = "down";
  const only = scripted("only", () => state);
  const pool = new UpstreamPool([only], { attemptTimeoutMs: 100, now: () => 0 });
  await assert.rejects(pool.resolve(query, AbortSignal.timeout(1000)), AllUpstreamsFailedError);
  state = "answer";
  assert.equal((await pool.resolve(query, AbortSignal.timeout(1000))).upstream, "only");
});
