/**
 * Profiles kept in a real Redis, through both clients: two instances share them, an edit on one
 * shows on the other within a poll, and the profiles file seeds Redis so that the last edit
 * wins (file or admin API) and an unchanged file changes nothing at a restart.
 */
import assert from "node:assert/strict";
import { RedisPolicy, type RedisPolicyOptions } from "../../clients/redis_policy.ts";
import type { RedisStore } from "../../store/redis.ts";
import { checkPolicy, type PolicyDoc, PolicyError } from "../../clients/spec.ts";
import { StoreError } from "../../store/errors.ts";
import { eventually } from "../support/eventually.ts";
import { type RedisServer, startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";

const CONTEXT = { blocklists: ["hagezi-pro"], allowlists: [], udpAvailable: true };
const doc = (value: unknown) => checkPolicy(value, CONTEXT);
const names = (d: PolicyDoc) => d.profiles.map((p) => p.name).sort();

/** A policy over `store` under `prefix`, polling as `options` say (never, by default). */
function policyOn(
  store: RedisStore,
  prefix: string,
  options: Partial<RedisPolicyOptions> = {},
): RedisPolicy {
  return new RedisPolicy(store, {
    prefix,
    context: CONTEXT,
    pollMs: 0,
    onLoad: () => {},
    report: () => {},
    ...options,
  });
}

for (const [clientName, connect] of REDIS_CLIENTS) {
  Deno.test(`${clientName}: an edit on one instance shows on another within a poll`, async () => {
    const redis = await startRedis();
    const a = connect(redis);
    const b = connect(redis);
    const loadedByB: PolicyDoc[] = [];
    const lines: string[] = [];
    const one = policyOn(a.store, "t:", { report: (line) => lines.push(line) });
    const two = policyOn(b.store, "t:", {
      pollMs: 100,
      onLoad: (d) => loadedByB.push(d),
      report: (line) => lines.push(line),
    });
    try {
      await one.edit({ section: "profiles", name: "kids", value: { safe_search: true } });
      await one.edit({
        section: "clients",
        name: "Tablet",
        value: { profile: "kids", ids: ["tablet"] },
      });
      const started = Date.now();
      await eventually(() => {
        assert.deepEqual(loadedByB.at(-1)?.clients.map((c) => c.ids), [["tablet"]]);
        return Promise.resolve();
      }, 2000);
      assert.ok(Date.now() - started < 1000, "seen within about a poll");
      assert.equal(two.doc.profiles[0].safeSearch, true);
      // A wrong edit changes nothing anywhere.
      await assert.rejects(
        one.edit({ section: "profiles", name: "kids", value: undefined }),
        (error) => error instanceof PolicyError && /no profile named "kids"/.test(error.message),
      );
      await assert.rejects(
        one.edit({ section: "profiles", name: "kids", value: { blocklists: ["nope"] } }),
        PolicyError,
      );
      await two.refresh();
      assert.deepEqual(names(two.doc), ["kids"]);
      assert.deepEqual(lines, []);
    } finally {
      one.close();
      two.close();
      await a.close();
      await b.close();
      await redis.stop();
    }
  });
}

Deno.test("the file seeds Redis: the last edit wins, an unchanged file changes nothing", async () => {
  const redis = await startRedis();
  const [, connect] = REDIS_CLIENTS[0];
  const connected = connect(redis);
  const make = () => policyOn(connected.store, "s:");
  const file1 = doc({ profiles: { kids: { safe_search: true }, guest: {} } });
  try {
    const first = make();
    await first.seed(file1);
    assert.deepEqual(names(first.doc), ["guest", "kids"]);
    // An admin edit of a profile the file names, then a profile of its own.
    await first.edit({ section: "profiles", name: "kids", value: { safe_search: false } });
    await first.edit({ section: "profiles", name: "work", value: {} });
    // A restart with the same file: the admin's edits stay.
    const restarted = make();
    await restarted.seed(file1);
    assert.equal(restarted.doc.profiles.find((p) => p.name === "kids")?.safeSearch, false);
    assert.deepEqual(names(restarted.doc), ["guest", "kids", "work"]);
    // The file changes kids and drops guest: the file's edit is the last one now.
    const file2 = doc({ profiles: { kids: { safe_search: true, block: ["tiktok.com"] } } });
    await restarted.seed(file2);
    const kids = restarted.doc.profiles.find((p) => p.name === "kids");
    assert.deepEqual([kids?.safeSearch, kids?.block], [true, ["tiktok.com"]]);
    assert.deepEqual(names(restarted.doc), ["kids", "work"], "guest went with the file's line");
    restarted.close();
    first.close();
  } finally {
    await connected.close();
    await redis.stop();
  }
});

Deno.test("a document in Redis that does not check is not loaded; the last good one stays", async () => {
  const redis = await startRedis();
  const [, connect] = REDIS_CLIENTS[0];
  const connected = connect(redis);
  const lines: string[] = [];
  const policy = policyOn(connected.store, "b:", { report: (line) => lines.push(line) });
  try {
    await policy.edit({ section: "profiles", name: "kids", value: {} });
    await connected.store.setString("b:policy:doc", '{"profiles":{"kids":{"colour":1}}}');
    await connected.store.incr("b:policy:version");
    await policy.refresh();
    assert.deepEqual(names(policy.doc), ["kids"]);
    assert.match(lines.join("\n"), /the document in Redis is not usable \(unknown key "colour"/);
    await connected.store.setString("b:policy:doc", "not json");
    await connected.store.incr("b:policy:version");
    await policy.refresh();
    assert.deepEqual(names(policy.doc), ["kids"]);
  } finally {
    policy.close();
    await connected.close();
    await redis.stop();
  }
});

Deno.test("two instances editing at once: both edits are kept (the lock)", async () => {
  const redis = await startRedis();
  const [, connect] = REDIS_CLIENTS[0];
  const a = connect(redis);
  const b = connect(redis);
  const make = (store: typeof a.store) => policyOn(store, "l:");
  const one = make(a.store);
  const two = make(b.store);
  try {
    await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => (i % 2 ? one : two).edit({ section: "profiles", name: `p${i}`, value: {} }),
      ),
    );
    await one.refresh();
    assert.equal(one.doc.profiles.length, 10);
  } finally {
    one.close();
    two.close();
    await a.close();
    await b.close();
    await redis.stop();
  }
});

Deno.test("while Redis holds no profiles an instance polls seldom; once it holds some, often", async () => {
  const redis = await startRedis();
  const [, connect] = REDIS_CLIENTS[0];
  const a = connect(redis);
  const b = connect(redis);
  const editor = policyOn(a.store, "i:");
  const watcher = policyOn(b.store, "i:", { pollMs: 50, idlePollMs: 60_000 });
  const calls = () => b.store.callCounts();
  try {
    await watcher.refresh();
    const before = JSON.stringify(calls());
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(JSON.stringify(calls()), before, "no call while there is nothing to follow");
    await editor.edit({ section: "profiles", name: "kids", value: {} });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(names(watcher.doc), [], "the first profile waits for the idle poll");
    await watcher.refresh();
    assert.deepEqual(names(watcher.doc), ["kids"]);
    // From now on it polls at pollMs: the idle timer gave way.
    await editor.edit({ section: "profiles", name: "guest", value: {} });
    await eventually(
      () => Promise.resolve(assert.deepEqual(names(watcher.doc), ["guest", "kids"])),
      1000,
    );
  } finally {
    editor.close();
    watcher.close();
    await a.close();
    await b.close();
    await redis.stop();
  }
});

/** What a test of one instance or a few gets: a real Redis, one connection, policies on it. */
interface OnRedis {
  redis: RedisServer;
  store: RedisStore;
  /** A policy on the connection (see `policyOn`), closed when the test ends. */
  policy(prefix: string, options?: Partial<RedisPolicyOptions>): RedisPolicy;
}

/** Runs `body` against a fresh redis-server, through ioredis; stops everything after. */
async function onRedis(body: (t: OnRedis) => Promise<void>): Promise<void> {
  const redis = await startRedis();
  const [, connect] = REDIS_CLIENTS[0];
  const connected = connect(redis);
  const made: RedisPolicy[] = [];
  try {
    await body({
      redis,
      store: connected.store,
      policy: (prefix, options) => {
        const policy = policyOn(connected.store, prefix, options);
        made.push(policy);
        return policy;
      },
    });
  } finally {
    for (const policy of made) policy.close();
    await connected.close();
    await redis.stop();
  }
}

Deno.test("a file change that does not fit Redis's profiles is said once; the instance follows Redis still", () =>
  onRedis(async (t) => {
    const lines: string[] = [];
    const seeding = t.policy("f:", { pollMs: 50, report: (line) => lines.push(line) });
    const other = t.policy("f:");
    await seeding.seed(doc({ profiles: { kids: {} } }));
    // An admin's client of kids; then the file drops kids.
    await other.edit({
      section: "clients",
      name: "Tablet",
      value: { profile: "kids", ids: ["t"] },
    });
    await seeding.seed(doc({ profiles: {} }));
    assert.match(
      lines.at(-1)!,
      /^profiles: the profiles file's change was not written to Redis \(no profile named "kids"\); Redis keeps its profiles$/,
    );
    // Another instance's edit still reaches it at the next poll.
    await other.edit({ section: "profiles", name: "guest", value: {} });
    await eventually(
      () => Promise.resolve(assert.deepEqual(names(seeding.doc), ["guest", "kids"])),
      1000,
    );
    assert.equal(lines.filter((line) => /not written/.test(line)).length, 1, "said once");
  }));

Deno.test("a client the file no longer names goes from Redis whatever its name (constructor, toString)", () =>
  onRedis(async (t) => {
    const policy = t.policy("o:");
    const clients = {
      constructor: { profile: "default", ids: ["a"] },
      toString: { profile: "default", ids: ["b"] },
    };
    await policy.seed(doc({ clients }));
    assert.equal(policy.doc.clients.length, 2);
    await policy.seed(doc({}));
    assert.deepEqual(policy.doc.clients, []);
  }));

Deno.test("Redis come back empty: an edit keeps every other profile, and the profiles in force are written back", () =>
  onRedis(async (t) => {
    const lines: string[] = [];
    const one = t.policy("r:", { report: (line) => lines.push(line) });
    const two = t.policy("r:");
    await one.edit({ section: "profiles", name: "kids", value: { safe_search: true } });
    await one.edit({ section: "clients", name: "Tablet", value: { profile: "kids", ids: ["t"] } });
    await two.refresh();
    await t.redis.restart();
    // An edit on an instance that has not polled since: the others stay.
    await eventually(() => two.edit({ section: "profiles", name: "guest", value: {} }).then());
    assert.deepEqual(names(two.doc), ["guest", "kids"]);
    assert.deepEqual(two.doc.clients.map((c) => c.name), ["Tablet"]);
    // Lost again; an instance that polls writes back what it has.
    await one.refresh();
    await t.redis.restart();
    await eventually(() => one.refresh());
    assert.match(lines.join("\n"), /Redis had none: wrote back .*2 profiles, 1 client/);
    await two.refresh();
    assert.deepEqual(names(two.doc), ["guest", "kids"]);
  }));

Deno.test("an edit over a document in Redis that is not usable here is a store error naming it, not a crash", () =>
  onRedis(async (t) => {
    const policy = t.policy("u:");
    for (const text of ["not json", '{"profiles":{"kids":{"colour":1}}}']) {
      await t.store.setString("u:policy:doc", text);
      await assert.rejects(
        policy.edit({ section: "profiles", name: "kids", value: {} }),
        (error) =>
          error instanceof StoreError &&
          /^the profiles in Redis \(u:policy:doc\) are not usable here \(/.test(error.message),
      );
      assert.equal(await t.store.getString("u:policy:doc"), text, "left as it was");
    }
  }));

Deno.test("the document in Redis is bounded: an edit that would make it too large is refused", () =>
  onRedis(async (t) => {
    const policy = t.policy("z:");
    // About 4 MB a profile: the fifth crosses the bound.
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}`;
    const block = Array.from({ length: 10_000 }, (_, i) => `n${i}.${long}.example`);
    let refused: unknown;
    for (let i = 0; i < 8 && refused === undefined; i++) {
      await policy.edit({ section: "profiles", name: `p${i}`, value: { block, allow: block } })
        .catch((error) => refused = error);
    }
    assert.ok(refused instanceof PolicyError, String(refused));
    assert.match(refused.message, /would take more than 16777216 bytes in Redis/);
    const kept = await t.store.getString("z:policy:doc");
    assert.ok(kept !== null && kept.length <= 16 * 1024 * 1024);
  }));

Deno.test("Redis down when the file seeds it: tried again at the frequent poll, not the idle one", () =>
  onRedis(async (t) => {
    const policy = t.policy("d:", { pollMs: 50, idlePollMs: 60_000 });
    await t.redis.stop();
    await assert.rejects(policy.seed(doc({ profiles: { kids: {} } })), StoreError);
    await t.redis.start();
    await eventually(async () => {
      assert.match((await t.store.getString("d:policy:doc")) ?? "", /kids/);
    }, 3000);
  }));
