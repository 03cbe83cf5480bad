/**
 * The accept loop over a real listener: a connection reset before it is accepted makes that
 * one accept fail, and the loop goes on at once; only a failure that is not the connection's
 * own (out of descriptors) pauses it.
 */
import assert from "node:assert/strict";
import { acceptLoop } from "../../doors/accept_loop.ts";
import { ConnectionTable, type HeldConnection } from "../../doors/connection_table.ts";
import { connectAndReset } from "../support/reset_connection.ts";

Deno.test("connections reset before their accept do not hold up the next client", async () => {
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  // Accepts wait until the resets are queued: as when a busy process accepts late.
  const resetsQueued = Promise.withResolvers<void>();
  const listener = Object.assign(Object.create(real), {
    accept: async () => (await resetsQueued.promise, await real.accept()),
  }) as Deno.Listener<Deno.Conn, Deno.NetAddr>;
  const table = new ConnectionTable<HeldConnection>({ maxConnections: 100, maxPerClient: 100 });
  const served = Promise.withResolvers<number>();
  let closing = false;
  const errors: unknown[] = [];
  const loop = acceptLoop({
    listener,
    table,
    closing: () => closing,
    onError: (error) => errors.push(error),
    serve: (conn) => {
      conn.close();
      served.resolve(performance.now());
    },
  });
  try {
    for (let i = 0; i < 10; i++) await connectAndReset(real.addr.port, new Uint8Array([0, 12]));
    const client = await Deno.connect({ hostname: "127.0.0.1", port: real.addr.port });
    const started = performance.now();
    resetsQueued.resolve();
    const at = await served.promise;
    client.close();
    assert.ok(table.stats.acceptErrors > 0, "the resets did make accepts fail");
    assert.ok(
      at - started < 300,
      `the next client waited ${
        Math.round(at - started)
      } ms behind ${table.stats.acceptErrors} resets`,
    );
  } finally {
    closing = true;
    real.close();
    await loop;
  }
});
