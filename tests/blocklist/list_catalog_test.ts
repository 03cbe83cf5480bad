/**
 * The list catalog: lists added from the dashboard and lists disabled, kept in a file or in
 * Redis so a restart (or another instance) finds them, checked as the settings' lists are; and
 * the sync of the catalog, which loads an added list and drops a disabled one from a real store.
 */
import assert from "node:assert/strict";
import { LazyListSync } from "../../blocklist/lazy_sync.ts";
import { ListCatalog, openListCatalog } from "../../blocklist/list_catalog.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import type { ListSource } from "../../blocklist/source.ts";
import { integration } from "../support/binaries.ts";
import { startListServer } from "../support/list_server.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "list-catalog-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const settings = (dir: string): ListSource[] => [
  { name: "ads", location: `${dir}/ads.txt`, kind: "block" },
];

async function open(dir: string, lists: readonly ListSource[] = settings(dir)) {
  const blocklist = new MemoryBlocklist();
  const base = new LazyListSync(blocklist, [...lists], {
    dir: undefined,
    maxAgeMs: 3_600_000,
    maxBytes: 1 << 20,
    timeoutMs: 2000,
  });
  const lines: string[] = [];
  const opened = await openListCatalog({
    sources: lists,
    dir,
    cwd: dir,
    sync: base,
    print: (line) => lines.push(line),
  });
  await opened.ready;
  const decide = async (name: string) => (await blocklist.decide(name)).verdict;
  return { ...opened, blocklist, decide, lines };
}

Deno.test("a list added is synced and kept: a catalog opened again has it", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
    await Deno.writeTextFile(`${dir}/more.txt`, "0.0.0.0 tracker.example\n");
    const first = await open(dir);
    await first.sync.run();
    assert.equal(await first.decide("tracker.example"), "none");
    const added = await first.catalog.add("More", "more.txt", "block");
    assert.deepEqual(added, { name: "more", location: `${dir}/more.txt`, kind: "block" });
    await first.sync.run();
    assert.equal(await first.decide("tracker.example"), "blocked");
    assert.equal(await first.decide("ads.example"), "blocked");

    const again = await open(dir);
    assert.deepEqual(again.catalog.entries().map((e) => [e.source.name, e.origin, e.enabled]), [
      ["ads", "settings", true],
      ["more", "dashboard", true],
    ]);
    await again.sync.run();
    assert.equal(await again.decide("tracker.example"), "blocked", "after a restart too");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/lists.json`)), {
      added: [added],
      disabled: [],
    });
  });
});

Deno.test("a disabled list is dropped at the next sync, of either origin, and comes back enabled", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
    const { catalog, sync, decide } = await open(dir);
    await sync.run();
    assert.equal(await decide("ads.example"), "blocked");
    assert.equal(await catalog.setEnabled("ads", false), true);
    await sync.run();
    assert.equal(await decide("ads.example"), "none");
    assert.deepEqual(catalog.sources(), []);
    const reopened = await open(dir);
    assert.deepEqual(reopened.catalog.sources(), [], "disabled after a restart too");
    await catalog.setEnabled("ads", true);
    await sync.run();
    assert.equal(await decide("ads.example"), "blocked");
    assert.equal(await catalog.setEnabled("nothing", false), false);
  });
});

Deno.test("a list added is refused for a bad or taken name, a missing file or a bad URL", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
    const { catalog } = await open(dir);
    const refused = (name: string, location: string) =>
      catalog.add(name, location, "block").then(() => "added", (error: Error) => error.message);
    assert.equal(await refused("ads", "/x.txt"), 'the list name "ads" is used twice');
    assert.equal(
      await refused("custom", "/x.txt"),
      '"custom" is not a usable list name (letters, digits, . _ -; not "custom")',
    );
    assert.equal(
      await refused("a b", "/x.txt"),
      '"a b" is not a usable list name (letters, digits, . _ -; not "custom")',
    );
    assert.equal(await refused("x", `${dir}/missing.txt`), `${dir}/missing.txt: no such file`);
    assert.equal(
      await refused("x", "ftp://lists.example/a"),
      '"ftp://lists.example/a": expected an http(s):// URL or a file path',
    );
    assert.equal(
      await refused("x", "https://a.example/1,https://b.example/2"),
      "expected a name (letters, digits, . _ -) and one URL or file path",
    );
    assert.equal(await refused("", "https://a.example/1"), "a list needs a name");
    assert.equal(await refused("web", "https://lists.example/web.txt"), "added");
    assert.equal(await catalog.remove("web"), true);
    assert.equal(await catalog.remove("ads"), false, "a setting's list is disabled, not removed");
  });
});

Deno.test("an added list whose name a setting later takes is shadowed; the setting's is synced", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
    await Deno.writeTextFile(`${dir}/other.txt`, "other.example\n");
    const before = await open(dir, []);
    await before.catalog.add("ads", "other.txt", "block");
    const after = await open(dir);
    assert.deepEqual(after.catalog.entries().map((e) => [e.source.name, e.origin, !!e.shadowed]), [
      ["ads", "settings", false],
      ["ads", "dashboard", true],
    ]);
    assert.deepEqual(after.catalog.sources(), settings(dir));
  });
});

Deno.test("a kept catalog that is not JSON is said in one line, and the settings' lists are synced", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
    await Deno.writeTextFile(`${dir}/lists.json`, "{not json");
    const { sync, decide, lines } = await open(dir);
    assert.deepEqual(lines, [
      `lists kept from the dashboard: ${dir}/lists.json: not JSON; the settings' lists meanwhile`,
    ]);
    await sync.run();
    assert.equal(await decide("ads.example"), "blocked");
  });
});

Deno.test("without a place to keep it the catalog lasts as long as the process", async () => {
  const catalog = new ListCatalog([], {});
  assert.equal(catalog.storedIn, "none");
  await catalog.add("web", "https://lists.example/web.txt", "allow");
  assert.deepEqual(catalog.sources().map((s) => s.name), ["web"]);
});

for (const [client, connect] of REDIS_CLIENTS) {
  Deno.test({
    name: `with Redis (${client}) a list added on one instance is synced by another`,
    ...integration(["redis-server"]),
    async fn() {
      const redis = await startRedis();
      const lists = startListServer();
      lists.set("web.txt", "web-ads.example\n");
      const one = connect(redis);
      const two = connect(redis);
      try {
        const openOn = async (store: typeof one.store) => {
          const blocklist = new MemoryBlocklist();
          const base = new LazyListSync(blocklist, [], {
            maxAgeMs: 3_600_000,
            maxBytes: 1 << 20,
            timeoutMs: 2000,
          });
          const opened = await openListCatalog({
            sources: [],
            redis: { store, prefix: "t:" },
            cwd: "/",
            sync: base,
          });
          await opened.ready;
          return { ...opened, blocklist };
        };
        const first = await openOn(one.store);
        const second = await openOn(two.store);
        await first.catalog.add("web", `${lists.url}/web.txt`, "block");
        assert.equal(first.catalog.storedIn, "redis key t:lists");
        await second.sync.run();
        assert.equal((await second.blocklist.decide("web-ads.example")).verdict, "blocked");
        await first.catalog.setEnabled("web", false);
        await second.sync.run();
        assert.equal((await second.blocklist.decide("web-ads.example")).verdict, "none");
      } finally {
        await one.close();
        await two.close();
        await lists.close();
        await redis.stop();
      }
    },
  });
}

Deno.test("a read of the kept catalog that a change overtook does not undo the change", async () => {
  let release!: () => void;
  const slow = new Promise<void>((resolve) => release = resolve);
  let loads = 0;
  let kept: { added: ListSource[]; disabled: string[] } = { added: [], disabled: [] };
  const store = {
    description: "a store whose first read is slow",
    load: async () => {
      const before = structuredClone(kept);
      if (++loads === 1) await slow;
      return before;
    },
    save: (state: typeof kept) => {
      kept = state;
      return Promise.resolve();
    },
  };
  const ads: ListSource = { name: "ads", location: "https://lists.example/ads.txt", kind: "block" };
  const catalog = new ListCatalog([ads], { store });
  // The startup read (openListCatalog's, in the background) is still out when a change comes.
  const startup = catalog.refresh();
  assert.equal(await catalog.setEnabled("ads", false), true);
  release();
  await startup;
  assert.deepEqual(catalog.entries().map((entry) => entry.enabled), [false]);
  assert.deepEqual(catalog.sources(), []);
});
