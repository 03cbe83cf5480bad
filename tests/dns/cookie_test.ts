import assert from "node:assert/strict";
import { queryCookie, withCookie } from "../../dns/cookie.ts";
import {
  decodeMessage,
  DnsWireError,
  EdnsOptionCode,
  encodeMessage,
  RType,
} from "../../dns/mod.ts";
import { makeQuery, queryMessage } from "../support/dns_query.ts";

const CLIENT = Uint8Array.from({ length: 8 }, (_, i) => i + 1);
const SERVER = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

function withCookieOption(data: Uint8Array, others: number[] = []): Uint8Array {
  const options = [
    ...others.map((code) => ({ code, data: new Uint8Array(3) })),
    { code: EdnsOptionCode.COOKIE, data },
  ];
  return makeQuery("www.test.example", RType.A, { edns: { options } });
}

Deno.test("queryCookie() reads a client cookie alone, and with a server cookie", () => {
  assert.deepEqual(queryCookie(withCookieOption(CLIENT)), { client: CLIENT });
  const both = new Uint8Array([...CLIENT, ...SERVER]);
  assert.deepEqual(queryCookie(withCookieOption(both, [EdnsOptionCode.PADDING])), {
    client: CLIENT,
    server: SERVER,
  });
});

Deno.test("queryCookie() finds nothing without an OPT record or a COOKIE option", () => {
  assert.equal(queryCookie(makeQuery("www.test.example", RType.A)), undefined);
  assert.equal(queryCookie(makeQuery("www.test.example", RType.A, { edns: {} })), undefined);
});

Deno.test("queryCookie() rejects COOKIE lengths RFC 7873 §5.2.2 calls malformed", () => {
  for (const length of [0, 7, 9, 15, 41]) {
    assert.throws(
      () => queryCookie(withCookieOption(new Uint8Array(length))),
      (error) => error instanceof DnsWireError && /COOKIE option of \d+ bytes/.test(error.message),
      `length ${length}`,
    );
  }
  for (const length of [8, 16, 40]) {
    assert.ok(queryCookie(withCookieOption(new Uint8Array(length))));
  }
});

Deno.test("withCookie() adds the cookie to a reply's OPT record, keeping its other options", () => {
  const message = queryMessage("www.test.example", RType.A, {
    edns: { options: [{ code: EdnsOptionCode.PADDING, data: new Uint8Array(4) }] },
  });
  message.header.response = true;
  message.answers.push({
    name: "www.test.example",
    type: RType.A,
    class: 1,
    ttl: 60,
    data: { address: "192.0.2.1" },
  });
  const reply = encodeMessage(message);
  const out = withCookie(reply, CLIENT, SERVER);
  assert.equal(out.length, reply.length + 4 + 20);
  const decoded = decodeMessage(out);
  assert.deepEqual(decoded.answers, decodeMessage(reply).answers);
  assert.deepEqual(decoded.edns?.options, [
    { code: EdnsOptionCode.PADDING, data: new Uint8Array(4) },
    { code: EdnsOptionCode.COOKIE, data: new Uint8Array([...CLIENT, ...SERVER]) },
  ]);
});

Deno.test("withCookie() leaves a reply without OPT as it is", () => {
  const reply = makeQuery("www.test.example", RType.A);
  assert.equal(withCookie(reply, CLIENT, SERVER), reply);
});
