/** A lazily loaded transport: loaded once on first use, tried again after a failed load. */
import assert from "node:assert/strict";
import { Deadline } from "../../runtime/deadline.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { LazyTransport } from "../../upstream/lazy_transport.ts";
import type { Transport } from "../../upstream/transport.ts";

function fakeTransport(): Transport & { closed: number } {
  return {
    name: "tcp://192.0.2.1:53",
    closed: 0,
    query: (query) => Promise.resolve(query.slice().reverse()),
    close() {
      this.closed++;
    },
  };
}

Deno.test("a lazy transport loads on its first query, once for queries that come together", async () => {
  const inner = fakeTransport();
  let loads = 0;
  const lazy = new LazyTransport(inner.name, () => (loads++, Promise.resolve(inner)));
  assert.equal(loads, 0);
  const signal = new Deadline(10_000);
  const [a, b] = await Promise.all([
    lazy.query(new Uint8Array([1, 2]), signal),
    lazy.query(new Uint8Array([3, 4]), signal),
  ]);
  assert.deepEqual([...a, ...b], [2, 1, 4, 3]);
  assert.equal(loads, 1);
  lazy.close();
  await Promise.resolve();
  assert.equal(inner.closed, 1);
  await assert.rejects(lazy.query(new Uint8Array([1]), signal), UpstreamError);
});

Deno.test("a load that failed is an upstream network error, and the next query loads again", async () => {
  const inner = fakeTransport();
  let loads = 0;
  const lazy = new LazyTransport(inner.name, () => {
    loads++;
    return loads === 1 ? Promise.reject(new Error("module not found")) : Promise.resolve(inner);
  });
  const signal = new Deadline(10_000);
  const error = await lazy.query(new Uint8Array([1]), signal).catch((e) => e);
  assert.ok(error instanceof UpstreamError);
  assert.equal(error.kind, "network");
  assert.match(error.message, /^tcp:\/\/192\.0\.2\.1:53: .*module not found/);
  assert.deepEqual([...await lazy.query(new Uint8Array([5, 6]), signal)], [6, 5]);
  assert.equal(loads, 2);
});

Deno.test("a lazy transport closed before it ever loaded loads nothing", async () => {
  let loads = 0;
  const lazy = new LazyTransport(
    "tcp://192.0.2.1:53",
    () => (loads++, Promise.resolve(fakeTransport())),
  );
  lazy.close();
  await assert.rejects(lazy.query(new Uint8Array([1]), new Deadline(10_000)), /closed/);
  assert.equal(loads, 0);
});
