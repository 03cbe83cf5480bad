/**
 * DoH over HTTP has one owner (routes/doh_door.ts `DohDoor`): each request is offered to its
 * fast path once, whichever door serves it (main.ts's lazy door, or the app tests build), and
 * every HTTP error it words is worded alike whether the fast path or the routes meet it.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { RType } from "../../dns/mod.ts";
import { DohDoor, MAX_QUERY_BYTES } from "../../routes/doh_door.ts";
import { lazyApp } from "../../routes/lazy_app.ts";
import { RateLimiter } from "../../net/rate_limit.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";

const info = {
  remoteAddr: { transport: "tcp" as const, hostname: "192.0.2.8", port: 5353 },
  completed: Promise.resolve(),
};
const base64url = (bytes: Uint8Array) =>
  bytes.toBase64({ alphabet: "base64url", omitPadding: true });
const QUERY = base64url(makeQuery("www.example", RType.A));

/**
 * Runs `body` with every call of the fast path counted, and whether it took the request: the
 * real method, watched from outside.
 */
async function watchingFastPath(
  body: (offers: { took: boolean }[]) => Promise<void>,
): Promise<void> {
  const take = DohDoor.prototype.take;
  const offers: { took: boolean }[] = [];
  DohDoor.prototype.take = function (this: DohDoor, ...args: Parameters<typeof take>) {
    const taken = take.apply(this, args);
    offers.push({ took: taken !== undefined });
    return taken;
  };
  try {
    await body(offers);
  } finally {
    DohDoor.prototype.take = take;
  }
}

Deno.test("a request the fast path declines is offered to it once, before and after the app loads", async () => {
  await watchingFastPath(async (offers) => {
    const door = lazyApp({ resolver: localResolver({ "www.example": ["192.0.2.1"] }) });
    // A %-escape sends a GET to the routes; a POST without a Content-Length too.
    const declined = () => [
      new Request(`http://gw/dns-query?dns=${QUERY}&x=%20`),
      new Request("http://gw/dns-query", {
        method: "POST",
        headers: { "content-type": "application/dns-message" },
        body: ReadableStream.from([makeQuery("www.example", RType.A)]),
      }),
      new Request("http://gw/health"),
    ];
    for (const round of ["loading", "loaded"]) {
      for (const request of declined()) {
        offers.length = 0;
        const response = await door.fetch(request, info);
        assert.equal(response.status, 200, `${round}: ${request.method} ${request.url}`);
        await response.body?.cancel();
        assert.deepEqual(offers, [{ took: false }], `${round}: ${request.method} ${request.url}`);
      }
      await door.preload();
    }
    const app = createApp({ resolver: localResolver({ "www.example": ["192.0.2.1"] }) });
    for (const request of declined()) {
      offers.length = 0;
      const response = await app.fetch(request, info);
      assert.equal(response.status, 200, `app: ${request.method} ${request.url}`);
      await response.body?.cancel();
      assert.deepEqual(offers, [{ took: false }], `app: ${request.method} ${request.url}`);
    }
  });
});

/** A DoH request the fast path takes, and the same one made to go to the routes. */
interface Pair {
  what: string;
  fast: () => Request;
  routed: () => Request;
}

const get = (what: string, dns: string): Pair => ({
  what,
  fast: () => new Request(`http://gw/dns-query?dns=${dns}`),
  // A %-escape anywhere in the query string: the router must decode it.
  routed: () => new Request(`http://gw/dns-query?dns=${dns}&x=%20`),
});

const post = (what: string, body: Uint8Array<ArrayBuffer>): Pair => ({
  what,
  // A client's Content-Length, which an in-process Request does not get by itself.
  fast: () =>
    new Request("http://gw/dns-query", {
      method: "POST",
      headers: { "content-type": "application/dns-message", "content-length": `${body.length}` },
      body,
    }),
  // A body without a Content-Length: only the routes read a stream.
  routed: () =>
    new Request("http://gw/dns-query", {
      method: "POST",
      headers: { "content-type": "application/dns-message" },
      body: ReadableStream.from(body.length === 0 ? [] : [body]),
    }),
});

const ERRORS: Pair[] = [
  get("not base64url", "A"),
  get("malformed", base64url(new Uint8Array([0, 1, 2, 3, 4]))),
  get("too large", base64url(new Uint8Array(MAX_QUERY_BYTES + 1))),
  post("empty", new Uint8Array(0)),
  post("malformed", new Uint8Array([0, 1, 2, 3, 4])),
];

async function said(response: Response) {
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    retryAfter: response.headers.get("retry-after"),
    text: await response.text(),
  };
}

Deno.test("every DoH error is worded alike by the fast path and the routes", async () => {
  await watchingFastPath(async (offers) => {
    const app = createApp({ resolver: localResolver({}) });
    for (const pair of ERRORS) {
      offers.length = 0;
      const fast = await said(await app.fetch(pair.fast(), info));
      assert.deepEqual(offers, [{ took: true }], `${pair.what}: the fast path answers`);
      offers.length = 0;
      const routed = await said(await app.fetch(pair.routed(), info));
      assert.deepEqual(offers, [{ took: false }], `${pair.what}: the routes answer`);
      assert.ok(fast.status >= 400, `${pair.what}: ${fast.status}`);
      assert.deepEqual(routed, fast, pair.what);
    }
  });
});

Deno.test("a client over its rate is told alike by the fast path and the routes", async () => {
  await watchingFastPath(async (offers) => {
    const app = createApp({
      resolver: localResolver({ "www.example": ["192.0.2.1"] }),
      rateLimiter: new RateLimiter({ rate: 1, burst: 1, now: () => 1_000_000 }),
    });
    const ok = await app.fetch(new Request(`http://gw/dns-query?dns=${QUERY}`), info);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    for (const pair of [get("GET", QUERY), post("POST", makeQuery("www.example", RType.A))]) {
      offers.length = 0;
      const fast = await said(await app.fetch(pair.fast(), info));
      const routed = await said(await app.fetch(pair.routed(), info));
      assert.deepEqual(offers, [{ took: true }, { took: false }], pair.what);
      assert.equal(fast.status, 429, pair.what);
      assert.deepEqual(routed, fast, pair.what);
    }
  });
});
