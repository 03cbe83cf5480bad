/**
 * The real gateway when upstreams misbehave: silent, slow, refusing, down, answering garbage,
 * truncating with no TCP behind, resetting TCP mid-query, a DoH upstream answering 500 or
 * HTML. The client always gets an answer within the query budget, and the next upstream is
 * used.
 */
import assert from "node:assert/strict";
import { type Message, Rcode, RType } from "../../dns/mod.ts";
import { EdeCode, EdnsOptionCode, findOption } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort } from "../support/dns_clients.ts";
import { askDoh } from "../support/doh.ts";
import {
  addressReply,
  fakeHttp,
  fakeUdp,
  replyTo,
  resettingTcp,
} from "../support/fake_upstreams.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { freePort } from "../support/ports.ts";
import { sample } from "../support/prometheus.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ask = (url: string, name: string) => askDoh(url, name, RType.A, { id: 77, edns: {} });

function edeCode(reply: Message): number | undefined {
  const option = reply.edns && findOption(reply.edns, EdnsOptionCode.EXTENDED_ERROR);
  return option === undefined
    ? undefined
    : new DataView(option.data.buffer, option.data.byteOffset).getUint16(0);
}

/** A UDP socket that reads nothing and answers nothing. */
function silentUdp(): { url: string; close(): void } {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  return {
    url: `udp://127.0.0.1:${(socket.addr as Deno.NetAddr).port}`,
    close: () => socket.close(),
  };
}

Deno.test({
  name: "the gateway fails over from a silent upstream to a working one within the budget",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const silent = silentUdp();
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `${silent.url},udp://127.0.0.1:${knot.port}`,
        UPSTREAM_TIMEOUT_MS: "300",
        QUERY_TIMEOUT_MS: "2000",
      },
    });
    try {
      const { reply, ms } = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.equal(reply.header.id, 77);
      assert.equal(reply.header.rcode, Rcode.NOERROR);
      assert.ok(reply.answers.length > 0);
      assert.ok(ms < 2000, `answered in ${ms} ms`);
      // The silent upstream is now behind the working one: the next query does not wait.
      const second = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.ok(second.ms < 250, `second query answered in ${second.ms} ms`);
    } finally {
      await gateway.stop();
      silent.close();
      await knot.stop();
    }
  },
});

Deno.test("the gateway answers SERVFAIL with EDE 22 within the budget when the only upstream is silent", async () => {
  const silent = silentUdp();
  const gateway = await startGateway({
    env: { UPSTREAMS: silent.url, QUERY_TIMEOUT_MS: "800", UPSTREAM_TIMEOUT_MS: "800" },
  });
  try {
    const { reply, ms } = await ask(gateway.url, "www.example");
    assert.equal(reply.header.rcode, Rcode.SERVFAIL);
    assert.equal(edeCode(reply), EdeCode.NO_REACHABLE_AUTHORITY);
    assert.ok(ms >= 700 && ms < 1500, `SERVFAIL after ${ms} ms`);
  } finally {
    await gateway.stop();
    silent.close();
  }
});

Deno.test("the gateway answers SERVFAIL at once when the only upstream is down", async () => {
  const gateway = await startGateway({
    env: { UPSTREAMS: `tcp://127.0.0.1:${freePort("tcp")}`, QUERY_TIMEOUT_MS: "3000" },
  });
  try {
    const { reply, ms } = await ask(gateway.url, "www.example");
    assert.equal(reply.header.rcode, Rcode.SERVFAIL);
    assert.ok(ms < 1000, `SERVFAIL after ${ms} ms`);
  } finally {
    await gateway.stop();
  }
});

Deno.test({
  name: "SERVFAIL from the only upstream reaches the client with EDE 22, over DoH and UDP",
  ...integration(["knotd", "kdig"]),
  async fn() {
    // knot answers SERVFAIL for a zone it is told to serve but cannot load.
    const failing = await startKnot({ unloadableZones: ["broken.example"] });
    const gateway = await startGateway({
      env: { UPSTREAMS: `udp://127.0.0.1:${failing.port}`, UDP_PORT: "0" },
    });
    try {
      const { reply, ms } = await ask(gateway.url, "www.broken.example");
      assert.equal(reply.header.rcode, Rcode.SERVFAIL);
      // Ours first; knot's own (24, Invalid Data, for a zone it could not load) passed on.
      const codes = reply.edns!.options.filter((o) => o.code === EdnsOptionCode.EXTENDED_ERROR)
        .map((o) => (o.data[0] << 8) | o.data[1]);
      assert.deepEqual(codes, [EdeCode.NO_REACHABLE_AUTHORITY, 24]);
      assert.ok(ms < 1000, `SERVFAIL after ${ms} ms`);
      const port = String(doorPort(gateway, "UDP"));
      const kdig = await new Deno.Command("kdig", {
        args: ["@127.0.0.1", "-p", port, "+edns", "+timeout=2", "www.broken.example", "A"],
      }).output();
      const text = new TextDecoder().decode(kdig.stdout);
      assert.match(text, /status: SERVFAIL/);
      assert.match(text, /EDE: 22 \(No Reachable Authority\)/);
      const servfail = /"error":"[^"]*answered SERVFAIL/;
      assert.match(await gateway.waitForStdout(servfail), servfail);
    } finally {
      await gateway.stop();
      await failing.stop();
    }
  },
});

Deno.test({
  name: "an upstream that answers REFUSED makes the gateway try the next, then SERVFAIL",
  ...integration(["knotd"]),
  async fn() {
    // knot refuses names outside its zones: this one serves another zone, so it refuses ours.
    const refusing = await startKnot({ origin: "other.example" });
    const working = await startKnot();
    const gateway = await startGateway({
      env: { UPSTREAMS: `udp://127.0.0.1:${refusing.port},udp://127.0.0.1:${working.port}` },
    });
    try {
      const inside = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.equal(inside.reply.header.rcode, Rcode.NOERROR);
      assert.ok(inside.reply.answers.length > 0);
      assert.ok(await refusing.queryCount() >= 1, "the refusing upstream was asked first");
      // Both refuse a name in neither zone: the client gets SERVFAIL, promptly.
      const outside = await ask(gateway.url, "outside.invalid");
      assert.equal(outside.reply.header.rcode, Rcode.SERVFAIL);
      assert.equal(edeCode(outside.reply), EdeCode.NO_REACHABLE_AUTHORITY);
      assert.ok(outside.ms < 1000, `SERVFAIL after ${outside.ms} ms`);
      const refused = /"error":"all upstreams failed: .*answered REFUSED/;
      assert.match(await gateway.waitForStdout(refused), refused);
    } finally {
      await gateway.stop();
      await refusing.stop();
      await working.stop();
    }
  },
});

/** How many attempts on `upstream` ended in `outcome`, from the gateway's /metrics. */
async function attempts(gateway: Gateway, upstream: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return sample(text, "dns_upstream_attempts_total", { upstream, outcome }) ?? 0;
}

/** knot's answer for www, asserted; returns how long the query took. */
async function assertKnotAnswers(url: string): Promise<number> {
  const { reply, ms } = await ask(url, `www.${TEST_ZONE}`);
  assert.equal(reply.header.id, 77);
  assert.equal(reply.header.rcode, Rcode.NOERROR);
  assert.deepEqual(reply.answers.map((r) => r.data), [
    { address: "192.0.2.1" },
    { address: "192.0.2.2" },
  ]);
  return ms;
}

/**
 * A gateway asking `first` (one or more upstream URLs), then knot; `check` runs against it,
 * then the gateway, knot and `close` (the fake upstreams) are stopped.
 */
async function beforeKnot(
  first: string,
  check: (gateway: Gateway) => Promise<void>,
  options: { env?: Record<string, string>; close?: () => unknown } = {},
): Promise<void> {
  const knot = await startKnot();
  try {
    const gateway = await startGateway({
      env: { UPSTREAMS: `${first},udp://127.0.0.1:${knot.port}`, ...options.env },
    });
    try {
      await check(gateway);
    } finally {
      await gateway.stop();
    }
  } finally {
    await options.close?.();
    await knot.stop();
  }
}

Deno.test({
  name: "a slow upstream that answers within its attempt timeout is waited for, not passed over",
  ...integration(["knotd"]),
  async fn() {
    const slow = fakeUdp((query, send) => {
      setTimeout(() => send(addressReply(query, "192.0.2.80")), 400);
    });
    await beforeKnot(slow.url, async (gateway) => {
      const { reply, ms } = await ask(gateway.url, `www.${TEST_ZONE}`);
      assert.equal(reply.header.rcode, Rcode.NOERROR);
      assert.deepEqual(reply.answers.map((r) => r.data), [{ address: "192.0.2.80" }]);
      assert.ok(ms >= 380 && ms < 1000, `answered after ${ms.toFixed(0)} ms`);
      assert.equal(slow.received, 1, "asked once, not retried");
      assert.equal(await attempts(gateway, slow.url, "answer"), 1);
      assert.equal(await attempts(gateway, slow.url, "timeout"), 0);
    }, { env: { UPSTREAM_TIMEOUT_MS: "1000", QUERY_TIMEOUT_MS: "2000" }, close: slow.close });
  },
});

Deno.test({
  name: "an upstream answering garbage is passed over for the next, at once",
  ...integration(["knotd"]),
  async fn() {
    // The right ID and question, then a record the counts promise and the bytes lack.
    const garbage = fakeUdp((query, send) => {
      const reply = replyTo(query);
      reply[7] = 1;
      send(reply);
    });
    await beforeKnot(garbage.url, async (gateway) => {
      const ms = await assertKnotAnswers(gateway.url);
      assert.ok(ms < 1000, `answered after ${ms.toFixed(0)} ms`);
      assert.ok(await attempts(gateway, garbage.url, "malformed") >= 1, "asked first, refused");
    }, { close: garbage.close });
  },
});

Deno.test({
  name: "an upstream that truncates and has no TCP behind it is passed over for the next",
  ...integration(["knotd"]),
  async fn() {
    // TC=1 sends the gateway to TCP on the same port, where nothing listens.
    const truncating = fakeUdp((query, send) => send(replyTo(query, { truncated: true })));
    await beforeKnot(truncating.url, async (gateway) => {
      const ms = await assertKnotAnswers(gateway.url);
      assert.ok(ms < 1000, `answered after ${ms.toFixed(0)} ms`);
      assert.ok(truncating.received >= 1, "the truncating upstream was asked first");
      assert.ok(await attempts(gateway, truncating.url, "network") >= 1, "then TCP, refused");
    }, { close: truncating.close });
  },
});

Deno.test({
  name: "a TCP upstream that resets the connection mid-query is passed over for the next",
  ...integration(["knotd"]),
  async fn() {
    const resetting = resettingTcp();
    await beforeKnot(resetting.url, async (gateway) => {
      const asking = assertKnotAnswers(gateway.url);
      await new Promise((resolve) => setTimeout(resolve, 200));
      resetting.reset();
      const ms = await asking;
      // Failed over on the reset, long before the 2 s the attempt could have taken.
      assert.ok(ms >= 190 && ms < 1500, `answered after ${ms.toFixed(0)} ms`);
      assert.equal(await attempts(gateway, resetting.url, "network"), 1);
      assert.equal(await attempts(gateway, resetting.url, "timeout"), 0);
    }, { env: { UPSTREAM_TIMEOUT_MS: "2000", QUERY_TIMEOUT_MS: "3000" } });
  },
});

Deno.test({
  name: "DoH upstreams answering HTTP 500 and an HTML page are passed over for the next",
  ...integration(["knotd"]),
  async fn() {
    const failing = fakeHttp(() => new Response("internal error", { status: 500 }));
    const html = fakeHttp(() =>
      new Response("<html><body>captive portal</body></html>", {
        headers: { "content-type": "text/html" },
      })
    );
    await beforeKnot(`${failing.url},${html.url}`, async (gateway) => {
      const ms = await assertKnotAnswers(gateway.url);
      assert.ok(ms < 1000, `answered after ${ms.toFixed(0)} ms`);
      assert.equal(await attempts(gateway, failing.url, "http"), 1);
      assert.equal(await attempts(gateway, html.url, "http"), 1);
    }, { close: () => Promise.all([failing.close(), html.close()]) });
  },
});
