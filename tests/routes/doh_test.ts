import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { decodeMessage, EdnsOptionCode, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { replyAnswer } from "../../pipeline/answer_builders.ts";
import type { Stage } from "../../pipeline/types.ts";
import { MAX_QUERY_BYTES } from "../../routes/doh_door.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { capturedLines } from "../support/captured_lines.ts";

const app = createApp({ resolver: localResolver({ "www.example": ["192.0.2.1", "192.0.2.2"] }) });
const base64url = (bytes: Uint8Array) =>
  bytes.toBase64({ alphabet: "base64url", omitPadding: true });
const post = (
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
  type = "application/dns-message",
) => app.request("/dns-query", { method: "POST", body, headers: { "content-type": type } });

async function dnsReply(response: Response) {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/dns-message");
  return decodeMessage(new Uint8Array(await response.arrayBuffer()));
}

Deno.test("GET /dns-query answers a base64url query with the client's own ID", async () => {
  const query = makeQuery("www.example", RType.A, { id: 0xbeef });
  const reply = await dnsReply(await app.request(`/dns-query?dns=${base64url(query)}`));
  assert.equal(reply.header.id, 0xbeef);
  assert.deepEqual(reply.answers.map((r) => (r.data as { address: string }).address), [
    "192.0.2.1",
    "192.0.2.2",
  ]);
});

Deno.test("a DoH query the resolver answers at once gets its Response without a promise", async () => {
  const now: Stage = (ctx) => replyAnswer(ctx.query, { rcode: Rcode.NXDOMAIN }, "local");
  const direct = createApp({ resolver: localResolver({}, { extraStages: [now] }) });
  const query = makeQuery("www.example", RType.A, { id: 3 });
  const response = direct.fetch(new Request(`http://gw/dns-query?dns=${base64url(query)}`));
  assert.ok(response instanceof Response, "a cache hit needs no turn of the event loop");
  assert.equal((await dnsReply(response)).header.id, 3);
  const waited = app.fetch(new Request(`http://gw/dns-query?dns=${base64url(query)}`));
  assert.ok(waited instanceof Promise, "the table stage answers through a promise");
  assert.equal((await dnsReply(await waited)).header.id, 3);
});

Deno.test("GET /dns-query tolerates base64url padding", async () => {
  const query = makeQuery("www.example", RType.A);
  const padded = query.toBase64({ alphabet: "base64url" });
  assert.ok(padded.endsWith("="), "the test query should need padding");
  const reply = await dnsReply(await app.request(`/dns-query?dns=${padded}`));
  assert.equal(reply.answers.length, 2);
});

Deno.test("GET /dns-query answers a query the way Firefox sends it: ECS /0, padding, empty accept-encoding", async () => {
  // As captured from firefox-esr in TRR mode: family 1 (IPv4), source prefix 0, no address
  // ("do not use my subnet"), and padding; headers with an empty accept-encoding.
  const ecs = { code: EdnsOptionCode.CLIENT_SUBNET, data: new Uint8Array([0, 1, 0, 0]) };
  const padding = { code: EdnsOptionCode.PADDING, data: new Uint8Array(50) };
  const query = makeQuery("www.example", RType.A, {
    edns: { udpSize: 4096, options: [ecs, padding] },
  });
  const response = await app.request(`/dns-query?dns=${base64url(query)}`, {
    headers: {
      "accept": "application/dns-message",
      "accept-encoding": "",
      "cache-control": "no-cache",
      "pragma": "no-cache",
    },
  });
  const reply = await dnsReply(response);
  assert.equal(reply.answers.length, 2);
  assert.equal(reply.edns?.options.some((o) => o.code === EdnsOptionCode.CLIENT_SUBNET), false);
});

Deno.test("POST /dns-query answers application/dns-message with ID 0 echoed", async () => {
  const response = await post(makeQuery("www.example", RType.A, { id: 0 }));
  assert.equal(response.headers.get("cache-control"), "max-age=300");
  const reply = await dnsReply(response);
  assert.equal(reply.header.id, 0);
  assert.equal(reply.answers.length, 2);
});

Deno.test("POST /dns-query accepts a content-type with parameters and any case", async () => {
  const response = await post(makeQuery("www.example", RType.A), "Application/DNS-Message; x=1");
  assert.equal((await dnsReply(response)).answers.length, 2);
});

Deno.test("an NXDOMAIN answer is HTTP 200, cacheable for the SOA's negative TTL", async () => {
  const response = await post(makeQuery("missing.example", RType.A));
  assert.equal(response.headers.get("cache-control"), "max-age=60");
  assert.equal((await dnsReply(response)).header.rcode, Rcode.NXDOMAIN);
});

Deno.test("a SERVFAIL answer is HTTP 200 without cache-control", async () => {
  const response = await post(makeQuery("fail.test", RType.A));
  assert.equal(response.headers.get("cache-control"), null);
  assert.equal((await dnsReply(response)).header.rcode, Rcode.SERVFAIL);
});

Deno.test("GET without a dns parameter is 400 with a one-line reason", async () => {
  const response = await app.request("/dns-query");
  assert.equal(response.status, 400);
  assert.equal(await response.text(), "missing dns parameter (a base64url DNS query)\n");
});

Deno.test("GET with a dns parameter that is not base64url is 400, worded alike by both paths", async () => {
  // "AA.A" and "A" reach the fast path (nothing to %-escape), the others the routes.
  for (const bad of ["AAAB+w", "AA/A", "A A", "%00", "AAAA===", "A", "AA.A"]) {
    const response = await app.request(`/dns-query?dns=${encodeURIComponent(bad)}`);
    assert.equal(response.status, 400, bad);
    assert.equal(await response.text(), "dns parameter is not base64url\n", bad);
  }
});

Deno.test("a malformed DNS message is 400 naming the byte offset", async () => {
  const response = await post(new Uint8Array([0, 1, 2, 3, 4]));
  assert.equal(response.status, 400);
  const text = await response.text();
  assert.match(text, /^malformed DNS message: .* at byte \d+\n$/);
});

Deno.test("an empty POST body is 400", async () => {
  const response = await post(new Uint8Array());
  assert.equal(response.status, 400);
  assert.equal(await response.text(), "empty DNS message\n");
});

Deno.test("other methods are 405 with an Allow header", async () => {
  for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
    const response = await app.request("/dns-query", { method });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get("allow"), "GET, POST");
    assert.equal(await response.text(), "method not allowed: use GET or POST\n");
  }
});

Deno.test("a POST body over the limit is 413", async () => {
  const response = await post(new Uint8Array(MAX_QUERY_BYTES + 1));
  assert.equal(response.status, 413);
  assert.match(await response.text(), /^DNS message too large/);
});

Deno.test("a chunked POST body over the limit is 413", async () => {
  const chunk = new Uint8Array(1024);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ > MAX_QUERY_BYTES / 1024 + 2) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const response = await post(body);
  assert.equal(response.status, 413);
  await response.body?.cancel();
});

Deno.test("a GET URL over the limit is 414", async () => {
  const response = await app.request(`/dns-query?dns=${"A".repeat(8000)}`);
  assert.equal(response.status, 414);
  assert.match(await response.text(), /^URI too long/);
});

Deno.test("POST with another content type is 415", async () => {
  const response = await post(makeQuery("www.example", RType.A), "application/octet-stream");
  assert.equal(response.status, 415);
  assert.equal(await response.text(), "content-type must be application/dns-message\n");
});

Deno.test("a query with two questions is HTTP 200 with FORMERR", async () => {
  const query = makeQuery("x", RType.A, {
    questions: [{ name: "a.example", type: 1, class: 1 }, { name: "b.example", type: 1, class: 1 }],
  });
  const reply = await dnsReply(await post(query));
  assert.equal(reply.header.rcode, Rcode.FORMERR);
});

Deno.test("the query log says which HTTP method each DoH query came with", async () => {
  const lines: string[] = [];
  const log = createQueryLog({
    toStdout: true,
    capacity: 0,
    print: capturedLines(lines),
  });
  const logged = createApp({ resolver: localResolver({ "www.example": ["192.0.2.1"] }, { log }) });
  const query = makeQuery("www.example", RType.A);
  await logged.request(`/dns-query?dns=${base64url(query)}`);
  await logged.request("/dns-query", {
    method: "POST",
    body: query,
    headers: { "content-type": "application/dns-message" },
  });
  assert.deepEqual(
    lines.map((line) => JSON.parse(line)).map((entry) => [entry.door, entry.method]),
    [["doh", "GET"], ["doh", "POST"]],
  );
});

Deno.test("unknown paths are 404 with a one-line reason", async () => {
  const response = await app.request("/nope");
  assert.equal(response.status, 404);
  assert.equal(await response.text(), "not found\n");
});

Deno.test("/health answers ok", async () => {
  const response = await app.request("/health");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok" });
});
