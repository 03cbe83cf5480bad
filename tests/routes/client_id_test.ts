/**
 * The ClientID in the DoH and JSON paths (routes/client_id.ts): `/dns-query/<clientid>` (GET
 * and POST, fast path and routes), `/resolve/<clientid>` and `/dns-query/<clientid>` asking for
 * JSON. A bad one never reaches the resolver; with a restricted directory a stranger gets an
 * HTTP error, throttled and counted, and a known client is identified once, by the door.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { ClientRefusals, RateLimiter } from "../../net/rate_limit.ts";
import { CLIENT_ID_RULE } from "../../pipeline/profile.ts";
import { clientIdEnd, clientIdOf } from "../../routes/client_id.ts";
import { DohDoor } from "../../routes/doh_door.ts";
import { lazyApp } from "../../routes/lazy_app.ts";
import { makeQuery } from "../support/dns_query.ts";
import {
  FAMILY_ADDRESS,
  profileResolver,
  SPLIT_NAME,
  testDirectory,
} from "../support/client_ids.ts";

const info = {
  remoteAddr: { transport: "tcp" as const, hostname: "192.0.2.8", port: 5353 },
  completed: Promise.resolve(),
};
const base64url = (bytes: Uint8Array) =>
  bytes.toBase64({ alphabet: "base64url", omitPadding: true });
const BODY = makeQuery(SPLIT_NAME, RType.A);
const QUERY = base64url(BODY);

/** A DoH GET on the fast path, and one the routes answer (a %-escape: the router decodes it). */
const getFast = (path: string) => new Request(`http://gw.test${path}?dns=${QUERY}`);
const getRouted = (path: string) => new Request(`http://gw.test${path}?dns=${QUERY}&x=%20`);
/** A DoH POST with a Content-Length (fast path), and one streamed without (routes). */
const postFast = (path: string) =>
  new Request(`http://gw.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/dns-message", "content-length": `${BODY.length}` },
    body: BODY,
  });
const postRouted = (path: string) =>
  new Request(`http://gw.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/dns-message" },
    body: ReadableStream.from([BODY]),
  });
const FORMS = { getFast, getRouted, postFast, postRouted };

/** Runs `body` with each offer to the fast path noted: whether it took the request. */
async function watchingFastPath(body: (offers: boolean[]) => Promise<void>): Promise<void> {
  const take = DohDoor.prototype.take;
  const offers: boolean[] = [];
  DohDoor.prototype.take = function (this: DohDoor, ...args: Parameters<typeof take>) {
    const taken = take.apply(this, args);
    offers.push(taken !== undefined);
    return taken;
  };
  try {
    await body(offers);
  } finally {
    DohDoor.prototype.take = take;
  }
}

async function said(response: Response) {
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    text: await response.text(),
  };
}

/** The address of the A record of a DoH answer, or its rcode's name when it has none. */
async function answered(response: Response): Promise<string> {
  assert.equal(response.status, 200, await response.clone().text());
  const message = decodeMessage(new Uint8Array(await response.arrayBuffer()));
  const a = message.answers.find((record) => record.type === RType.A);
  if (a !== undefined) return (a.data as { address: string }).address;
  return message.header.rcode === Rcode.NXDOMAIN ? "NXDOMAIN" : `rcode ${message.header.rcode}`;
}

Deno.test("a ClientID is one DNS label, lower-cased; anything else is none", () => {
  assert.equal(clientIdOf("Kids-Tablet"), "kids-tablet");
  assert.equal(clientIdOf("a".repeat(63)), "a".repeat(63));
  for (const bad of ["", "a".repeat(64), "kids_tablet", "kids.tablet", "kids tablet", "ä"]) {
    assert.equal(clientIdOf(bad), undefined, bad);
  }
  const url = "https://gw.test/dns-query/Kids-1?dns=AAAB";
  const from = url.indexOf("/", 8 + "gw.test".length) + "/dns-query/".length;
  assert.equal(url.slice(from, clientIdEnd(url, from)), "Kids-1");
  assert.equal(clientIdEnd("https://gw.test/dns-query/kids", 26), 30, "to the URL's end");
  for (const bad of ["kids/x?dns=A", "ki%41ds", "?dns=A", "a".repeat(64)]) {
    assert.equal(clientIdEnd(`https://gw.test/dns-query/${bad}`, 26), -1, bad);
  }
});

Deno.test("without a directory, /dns-query/<clientid> is answered as /dns-query is, on both paths", async () => {
  await watchingFastPath(async (offers) => {
    const { resolver } = profileResolver();
    const app = createApp({ resolver });
    for (const [form, request] of Object.entries(FORMS)) {
      offers.length = 0;
      const plain = await answered(await app.fetch(request("/dns-query"), info));
      const withId = await answered(await app.fetch(request("/dns-query/Kids-Tablet"), info));
      assert.equal(plain, FAMILY_ADDRESS, form);
      assert.equal(withId, plain, form);
      assert.deepEqual(offers, form.endsWith("Fast") ? [true, true] : [false, false], form);
    }
  });
});

Deno.test("a bad ClientID is 400 naming the rule, more segments are 404, and neither reaches the resolver", async () => {
  await watchingFastPath(async (offers) => {
    const { resolver, calls } = profileResolver(testDirectory(false));
    const app = createApp({ resolver });
    const bad = ["kids_tablet", "kids.tablet", "a".repeat(64), "ki%20ds", "%E2%82%AC"];
    for (const [form, request] of Object.entries(FORMS)) {
      for (const segment of bad) {
        offers.length = 0;
        const reply = await said(await app.fetch(request(`/dns-query/${segment}`), info));
        assert.deepEqual(reply, { status: 400, retryAfter: null, text: `${CLIENT_ID_RULE}\n` });
        assert.deepEqual(offers, [false], `${form} ${segment}: the routes word it`);
      }
      for (const path of ["/dns-query/kids/tablet", "/dns-query/kids-tablet/", "/dns-query/"]) {
        const reply = await said(await app.fetch(request(path), info));
        assert.equal(reply.status, 404, `${form} ${path}`);
      }
    }
    for (const path of ["/resolve", "/dns-query"]) {
      const json = { accept: "application/dns-json" };
      const invalid = await app.request(`${path}/kids_tablet?name=${SPLIT_NAME}`, {
        headers: json,
      });
      assert.equal(invalid.status, 400);
      assert.deepEqual(await invalid.json(), { error: CLIENT_ID_RULE });
      const deeper = await app.request(`${path}/kids/tablet?name=${SPLIT_NAME}`, { headers: json });
      assert.equal(deeper.status, 404);
      await deeper.body?.cancel();
    }
    assert.deepEqual(calls, { resolve: 0, repeat: 0 });
  });
});

Deno.test("the ClientID picks the profile: the JSON API and every DoH form answer by it", async () => {
  const directory = testDirectory(false);
  const { resolver, log } = profileResolver(directory);
  const app = createApp({ resolver, directory });
  for (const [form, request] of Object.entries(FORMS)) {
    assert.equal(
      await answered(await app.fetch(request("/dns-query/Kids-Tablet"), info)),
      "NXDOMAIN",
      form,
    );
    assert.equal(
      await answered(await app.fetch(request("/dns-query/laptop"), info)),
      FAMILY_ADDRESS,
      form,
    );
  }
  const kids = log.recent().filter((entry) => entry.clientName === "Kids' tablet");
  assert.equal(kids.length, 4);
  assert.ok(kids.every((entry) => entry.profile === "kids" && entry.door === "doh"));
  for (const path of ["/resolve", "/dns-query"]) {
    const json = await app.request(`${path}/kids-tablet?name=${SPLIT_NAME}`, {
      headers: { accept: "application/dns-json" },
    });
    assert.equal(json.status, 200);
    assert.equal((await json.json()).Status, Rcode.NXDOMAIN, path);
    const family = await app.request(`${path}/LAPTOP?name=${SPLIT_NAME}&type=A`, {
      headers: { accept: "application/dns-json" },
    });
    assert.equal((await family.json()).Answer?.[0]?.data, FAMILY_ADDRESS, path);
  }
  assert.equal(log.recent().at(-1)?.clientName, "Laptop");
  assert.equal(log.recent().at(-1)?.door, "json");
});

Deno.test("the door asks the directory once per query, and the resolver not again", async () => {
  const directory = testDirectory(false);
  const { resolver } = profileResolver(directory);
  const app = createApp({ resolver, directory });
  for (const [form, request] of Object.entries(FORMS)) {
    directory.asked = 0;
    await answered(await app.fetch(request("/dns-query/laptop"), info));
    assert.equal(directory.asked, 1, form);
  }
});

Deno.test("two ClientIDs of different profiles POSTing the same body each get their own profile's answer", async () => {
  const directory = testDirectory(false);
  const { resolver, calls } = profileResolver(directory);
  const app = createApp({ resolver, directory });
  // Each twice at first, so the memo keeps each one's answer (a key is kept on its second sight).
  const order = ["kids-tablet", "kids-tablet", "laptop", "laptop", "kids-tablet", "laptop"];
  for (let round = 0; round < 3; round++) {
    for (const id of order) {
      const got = await answered(await app.fetch(postFast(`/dns-query/${id}`), info));
      assert.equal(got, id === "laptop" ? FAMILY_ADDRESS : "NXDOMAIN", `round ${round}: ${id}`);
    }
  }
  assert.equal(calls.repeat, order.length * 3);
  assert.ok(
    calls.resolve < calls.repeat,
    `${calls.resolve} resolved: some answers were remembered`,
  );
});

/** A restricted directory (CLIENTS_ONLY), with the refusals counted and throttled at a clock. */
function restrictedApp(now = () => 1_000_000) {
  const directory = testDirectory(true);
  const refusals = new ClientRefusals({ rate: 0.1, burst: 3, now });
  const { resolver, calls } = profileResolver(directory);
  return { app: createApp({ resolver, directory, refusals }), refusals, calls };
}

Deno.test("with only known clients answered, strangers get 401 or 403 alike on every path, and no DNS answer", async () => {
  await watchingFastPath(async (offers) => {
    for (const [form, request] of Object.entries(FORMS)) {
      const { app, calls, refusals } = restrictedApp();
      offers.length = 0;
      const none = await said(await app.fetch(request("/dns-query"), info));
      assert.deepEqual(none, {
        status: 401,
        retryAfter: null,
        text: "this server answers only known clients: " +
          "use https://gw.test/dns-query/<your-clientid>\n",
      }, form);
      const unknown = await said(await app.fetch(request("/dns-query/guessed"), info));
      assert.deepEqual(
        unknown,
        { status: 403, retryAfter: null, text: "unknown ClientID\n" },
        form,
      );
      assert.deepEqual(offers, form.endsWith("Fast") ? [true, true] : [false, false], form);
      assert.deepEqual(calls, { resolve: 0, repeat: 0 }, form);
      assert.equal(refusals.counts.doh, 2, form);
      assert.equal(
        await answered(await app.fetch(request("/dns-query/laptop"), info)),
        FAMILY_ADDRESS,
      );
    }
    const { app, calls, refusals } = restrictedApp();
    const json = { accept: "application/dns-json" };
    const none = await app.request(`/resolve?name=${SPLIT_NAME}`, { headers: json });
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), {
      error:
        "this server answers only known clients: use https://localhost/resolve/<your-clientid>",
    });
    const unknown = await app.request(`/dns-query/guessed?name=${SPLIT_NAME}`, { headers: json });
    assert.equal(unknown.status, 403);
    assert.deepEqual(await unknown.json(), { error: "unknown ClientID" });
    assert.deepEqual(calls, { resolve: 0, repeat: 0 });
    assert.deepEqual(refusals.counts, { doh: 0, json: 2, udp: 0, tcp: 0, dot: 0 });
  });
});

Deno.test("a stranger guessing ClientIDs is soon told 429 with Retry-After, and known clients are not slowed", async () => {
  const clock = { now: 1_000_000 };
  const { app, refusals } = restrictedApp(() => clock.now);
  const statuses: number[] = [];
  for (let guess = 0; guess < 5; guess++) {
    const reply = await said(await app.fetch(getFast(`/dns-query/guess-${guess}`), info));
    statuses.push(reply.status);
    if (reply.status === 429) assert.equal(reply.retryAfter, "10");
  }
  assert.deepEqual(statuses, [403, 403, 403, 429, 429]);
  const json = await app.request(`/resolve/guess?name=${SPLIT_NAME}`, {}, info);
  assert.equal(json.status, 429);
  assert.deepEqual(Object.keys(await json.json()), ["error"]);
  assert.equal(refusals.counts.doh + refusals.counts.json, 6, "each refusal counted, 429s too");
  // The same address with a ClientID it was given: answered at once.
  assert.equal(await answered(await app.fetch(getFast("/dns-query/laptop"), info)), FAMILY_ADDRESS);
  clock.now += 10_000;
  assert.equal((await app.fetch(getFast("/dns-query/guess-9"), info)).status, 403);
});

Deno.test("the lazy door admits by ClientID as the app does", async () => {
  const directory = testDirectory(true);
  const { resolver } = profileResolver(directory);
  const door = lazyApp({ resolver, directory });
  assert.equal((await door.fetch(getFast("/dns-query"), info)).status, 401);
  assert.equal(
    await answered(await door.fetch(getFast("/dns-query/kids-tablet"), info)),
    "NXDOMAIN",
  );
  assert.equal((await door.fetch(getRouted("/dns-query/nobody"), info)).status, 403);
});

Deno.test("DOH_RATE counts the ClientID paths as it counts theirs without one", async () => {
  const { resolver } = profileResolver();
  const app = createApp({
    resolver,
    rateLimiter: new RateLimiter({ rate: 1, burst: 1, now: () => 1_000_000 }),
  });
  assert.equal(
    await answered(await app.fetch(getRouted("/dns-query/laptop"), info)),
    FAMILY_ADDRESS,
  );
  const doh = await said(await app.fetch(getRouted("/dns-query/laptop"), info));
  assert.equal(doh.status, 429);
  const json = await app.fetch(
    new Request(`http://gw.test/resolve/laptop?name=${SPLIT_NAME}`),
    info,
  );
  assert.equal(json.status, 429);
  assert.ok("error" in await json.json(), "the JSON API's shape");
});
