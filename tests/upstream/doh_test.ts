/**
 * The DoH transport against dnsdist's DoH listener (real answers, certificate checked) and
 * against a local HTTP server playing a broken DoH upstream (500, HTML, wrong question).
 */
import assert from "node:assert/strict";
import { decodeMessage, RType } from "../../dns/mod.ts";
import { createTransport } from "../../upstream/create.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { SocketBudget } from "../../runtime/descriptor_limit.ts";
import { DohTransport } from "../../upstream/doh.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { integration } from "../support/binaries.ts";
import { startEncryptedUpstream } from "../support/dnsdist.ts";
import { makeQuery } from "../support/dns_query.ts";
import { addressReply, dnsMessage, fakeHttp } from "../support/fake_upstreams.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

Deno.test({
  name: "DoH transport gets answers from dnsdist's DoH listener with ID 0 on the wire",
  ...integration(["knotd", "dnsdist", "openssl"]),
  async fn() {
    const upstream = await startEncryptedUpstream();
    const url = upstream.dohUrl;
    const transport = createTransport(parseUpstreamUrl(url), { caCerts: [upstream.cert.cert] });
    const untrusting = createTransport(parseUpstreamUrl(url));
    try {
      const [www, big] = await Promise.all([
        transport.query(
          makeQuery(`www.${TEST_ZONE}`, RType.A, { id: 999 }),
          new Deadline(3000),
        ),
        transport.query(makeQuery(`big.${TEST_ZONE}`, RType.TXT), new Deadline(3000)),
      ]);
      assert.equal(decodeMessage(www).header.id, 0);
      assert.equal(decodeMessage(www).answers.length, 2);
      assert.equal(decodeMessage(big).answers.length, 8);
      await assert.rejects(
        untrusting.query(makeQuery(`www.${TEST_ZONE}`, RType.A), new Deadline(3000)),
        (error) => error instanceof UpstreamError && error.kind === "network",
      );
    } finally {
      transport.close();
      untrusting.close();
      await upstream.stop();
    }
  },
});

Deno.test("DoH transport turns HTTP errors, HTML, wrong answers and huge bodies into UpstreamErrors", async () => {
  const cases: [string, (query: Uint8Array) => Response, string][] = [
    ["500", () => new Response("oops", { status: 500 }), "http"],
    [
      "HTML",
      () => new Response("<html></html>", { headers: { "content-type": "text/html" } }),
      "http",
    ],
    [
      "wrong question",
      () => dnsMessage(addressReply(makeQuery("other.example", 1), "6.6.6.6")),
      "mismatch",
    ],
    ["garbage", () => dnsMessage(new Uint8Array([0, 0, 0x80, 0, 0, 1])), "malformed"],
    ["huge", () => dnsMessage(new Uint8Array(70_000)), "malformed"],
  ];
  for (const [label, respond, kind] of cases) {
    const upstream = fakeHttp(respond);
    const transport = createTransport(parseUpstreamUrl(upstream.url));
    try {
      await assert.rejects(
        transport.query(makeQuery("a.example", RType.A), new Deadline(2000)),
        (error) => {
          assert.ok(error instanceof UpstreamError, label);
          assert.equal(error.kind, kind, `${label}: ${error.message}`);
          return true;
        },
      );
    } finally {
      transport.close();
      await upstream.close();
    }
  }
});

Deno.test("DoH transport times out a slow upstream at the signal", async () => {
  let release = () => {};
  const upstream = fakeHttp((query) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(dnsMessage(addressReply(query, "192.0.2.1"))), 5000);
      release = () => {
        clearTimeout(timer);
        resolve(new Response(null, { status: 503 }));
      };
    })
  );
  const transport = createTransport(parseUpstreamUrl(upstream.url));
  try {
    const started = performance.now();
    await assert.rejects(
      transport.query(makeQuery("a.example", RType.A), new Deadline(200)),
      (error) => error instanceof UpstreamError && error.kind === "timeout",
    );
    assert.ok(performance.now() - started < 1000);
  } finally {
    release();
    transport.close();
    await upstream.close();
  }
});

Deno.test("DoH queries under way take the socket budget; one more is busy at once", async () => {
  const releases: (() => void)[] = [];
  const upstream = fakeHttp((query) =>
    new Promise((resolve) => {
      releases.push(() => resolve(dnsMessage(addressReply(query, "192.0.2.1"))));
    })
  );
  const budget = new SocketBudget(2);
  const transport = new DohTransport(upstream.url, { sockets: budget });
  try {
    const waiting = [1, 2].map((i) =>
      transport.query(makeQuery(`q${i}.example`, RType.A), new Deadline(2000))
    );
    assert.equal(budget.open, 2);
    await assert.rejects(
      transport.query(makeQuery("one-more.example", RType.A), new Deadline(2000)),
      (error) => error instanceof UpstreamError && error.kind === "busy",
    );
    while (releases.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const release of releases) release();
    assert.equal((await Promise.all(waiting)).length, 2);
    assert.equal(budget.open, 0, "answered queries give their place back");
    assert.equal(budget.refused, 1);
  } finally {
    for (const release of releases) release();
    transport.close();
    await upstream.close();
  }
});
