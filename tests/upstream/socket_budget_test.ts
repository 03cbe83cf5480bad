/**
 * The upstream socket budget (`SocketBudget`, runtime/descriptor_limit.ts) as the UDP transport
 * keeps it: queries under way hold a socket each up to the budget, one more fails at once as
 * "busy", and every socket closed (answered and idle ones at close, timed-out ones at once) is
 * given back.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { createTransport } from "../../upstream/create.ts";
import { SocketBudget } from "../../runtime/descriptor_limit.ts";
import { UdpTransport } from "../../upstream/udp.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, fakeUdp } from "../support/fake_upstreams.ts";

Deno.test("UDP queries under way hold the budget's sockets; one more is busy at once, not held", async () => {
  // Names under "slow." get no reply; the others are answered at once.
  const server = fakeUdp((query, send) => {
    if (!new TextDecoder().decode(query).includes("slow")) send(addressReply(query, "192.0.2.1"));
  });
  const budget = new SocketBudget(3);
  const transport = new UdpTransport(
    { name: server.url, host: "127.0.0.1", port: server.port },
    createTransport(parseUpstreamUrl("tcp://127.0.0.1:9")),
    { sockets: budget },
  );
  const deadlines: Deadline[] = [];
  try {
    const waiting = Array.from({ length: 3 }, (_, i) => {
      const deadline = new Deadline(300);
      deadlines.push(deadline);
      return transport.query(makeQuery(`q${i}.slow.example`, RType.A), deadline);
    });
    assert.equal(budget.open, 3);
    const started = performance.now();
    await assert.rejects(
      transport.query(makeQuery("one-more.example", RType.A), new Deadline(300)),
      (error) => error instanceof UpstreamError && error.kind === "busy",
    );
    assert.ok(performance.now() - started < 100, "refused at once, not after a wait");
    assert.equal(budget.refused, 1);
    assert.equal(budget.open, 3, "the refused query took nothing");
    // The timed-out queries close their sockets and give them back.
    for (const result of await Promise.allSettled(waiting)) {
      assert.equal(result.status, "rejected");
    }
    assert.equal(budget.open, 0);
    // Answered queries keep their socket idle for the next (counted), until the transport closes.
    await transport.query(makeQuery("answered.example", RType.A), new Deadline(1000));
    assert.equal(budget.open, 1);
  } finally {
    for (const deadline of deadlines) deadline.dispose();
    transport.close();
    server.close();
  }
  assert.equal(budget.open, 0, "closing the transport gives back its idle sockets");
});

Deno.test("a budget lowered below what is open refuses until enough close, then takes again", () => {
  const budget = new SocketBudget(2);
  const told: number[] = [];
  budget.onRefused = (refused) => told.push(refused);
  assert.ok(budget.take() && budget.take());
  budget.max = 1;
  assert.equal(budget.take(), false);
  budget.give();
  assert.equal(budget.take(), false, "one still open of a budget of one");
  budget.give();
  assert.equal(budget.take(), true);
  assert.equal(budget.refused, 2);
  assert.deepEqual(told, [1, 2], "told of each refusal, with the count");
});
