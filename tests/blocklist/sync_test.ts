/**
 * Sync against a local list server (ETag, Last-Modified, 304) and real files: downloads,
 * disk copies that spare a restart the network, conditional refreshes, fallbacks when a
 * download fails, size and time bounds, allowlists, dropped lists, and the Redis lock.
 */
import assert from "node:assert/strict";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import type { ListSource } from "../../blocklist/source.ts";
import { describeReport } from "../../blocklist/describe_report.ts";
import { ListSync, type SyncLock, type SyncOptions } from "../../blocklist/sync.ts";
import { startListServer } from "../support/list_server.ts";

const HOSTS = "# a hosts file\n127.0.0.1 localhost\n0.0.0.0 ads.example tracker.example\n" +
  "0.0.0.0 bad_line!\n";
const DOMAINS = "# plain\nmalware.test\n||adblock.test^\n@@||ok.adblock.test^\n";

async function setup(options: Partial<SyncOptions> = {}) {
  const server = startListServer();
  server.set("hosts", HOSTS);
  server.set("domains", DOMAINS);
  const dir = await Deno.makeTempDir({ prefix: "sync-test-" });
  const sources: ListSource[] = [
    { name: "hosts", location: `${server.url}/hosts`, kind: "block" },
    { name: "domains", location: `${server.url}/domains`, kind: "block" },
  ];
  const syncOptions: SyncOptions = {
    dir,
    maxAgeMs: 3_600_000,
    maxBytes: 1 << 20,
    timeoutMs: 2000,
    ...options,
  };
  const fresh = (list = sources) => {
    const blocklist = new MemoryBlocklist();
    return { blocklist, sync: new ListSync(blocklist, list, syncOptions) };
  };
  return {
    server,
    dir,
    sources,
    fresh,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("sync downloads, parses and loads every list, reporting invalid lines", async () => {
  await using t = await setup();
  const { blocklist, sync } = t.fresh();
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => [l.name, l.outcome, l.blockEntries, l.allowEntries]), [
    ["hosts", "download", 2, 0],
    ["domains", "download", 2, 1],
  ]);
  assert.equal(report.lists[0].invalid?.count, 1);
  assert.equal(report.lists[0].invalid?.examples[0].line, 4);
  assert.deepEqual(blocklist.decide("x.tracker.example"), {
    verdict: "blocked",
    rule: { list: "hosts", entry: "tracker.example" },
  });
  assert.equal(blocklist.decide("www.ok.adblock.test").verdict, "allowed");
  assert.equal(blocklist.decide("localhost").verdict, "none");
  const lines = describeReport(report);
  assert.match(
    lines[0],
    /^blocklist hosts: download, 2 block, 0 allow entries, \d+ ms; 1 lines not understood \(line 4: .*bad_line!\)$/,
  );
  assert.match(lines[1], /^blocklist domains: download, 2 block, 1 allow entries, \d+ ms$/);
});

Deno.test("a restart within the refresh interval loads the disk copies without the network", async () => {
  await using t = await setup();
  await t.fresh().sync.run();
  const before = t.server.requests.length;
  const { blocklist, sync } = t.fresh();
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => l.outcome), ["disk-fresh", "disk-fresh"]);
  assert.equal(t.server.requests.length, before, "no request made");
  assert.equal(blocklist.decide("ads.example").verdict, "blocked");
  const meta = JSON.parse(await Deno.readTextFile(`${t.dir}/hosts.json`));
  assert.match(meta.etag, /^(W\/)?"v1"$/, "as sent: weak where the server compressed the list");
  assert.equal(meta.url, `${t.server.url}/hosts`);
  assert.equal(await Deno.readTextFile(`${t.dir}/hosts.txt`), HOSTS);
});

Deno.test("an old copy is refreshed with a conditional request; 304 reloads nothing", async () => {
  await using t = await setup({ maxAgeMs: 0 });
  const { sync } = t.fresh();
  await sync.run();
  t.server.requests.length = 0;
  const report = await sync.run();
  assert.deepEqual(t.server.requests.map((r) => [r.path, r.conditional, r.status]), [
    ["hosts", true, 304],
    ["domains", true, 304],
  ]);
  assert.deepEqual(report.lists.map((l) => l.outcome), ["unchanged", "unchanged"]);
  assert.deepEqual(report.lists.map((l) => l.blockEntries), [2, 2]);
});

Deno.test("a changed list is swapped in whole on the next sync", async () => {
  await using t = await setup({ maxAgeMs: 0 });
  const { blocklist, sync } = t.fresh();
  await sync.run();
  t.server.set("hosts", "0.0.0.0 replacement.example\n");
  const report = await sync.run();
  assert.equal(report.lists[0].outcome, "download");
  assert.equal(blocklist.decide("ads.example").verdict, "none");
  assert.equal(blocklist.decide("replacement.example").verdict, "blocked");
});

Deno.test("a failing download falls back to the disk copy, however old", async () => {
  await using t = await setup({ maxAgeMs: 0 });
  await t.fresh().sync.run();
  t.server.mode = "fail";
  const { blocklist, sync } = t.fresh();
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => [l.outcome, l.error]), [
    ["disk-fallback", "HTTP 500 Internal Server Error"],
    ["disk-fallback", "HTTP 500 Internal Server Error"],
  ]);
  assert.equal(blocklist.decide("ads.example").verdict, "blocked");
});

Deno.test("a list that fails with no copy keeps what was loaded before", async () => {
  await using t = await setup({ dir: undefined, maxAgeMs: 0 });
  const { blocklist, sync } = t.fresh();
  await sync.run();
  t.server.mode = "fail";
  const report = await sync.run(true);
  assert.deepEqual(report.lists.map((l) => [l.outcome, l.blockEntries]), [
    ["failed", 2],
    ["failed", 2],
  ]);
  assert.match(report.lists[0].error ?? "", /\/hosts: HTTP 500/);
  assert.equal(blocklist.decide("ads.example").verdict, "blocked");
  assert.match(describeReport(report)[0], /^blocklist hosts: failed, 2 block, 0 allow entries/);
});

Deno.test("a download that hangs fails at the timeout", async () => {
  await using t = await setup({ dir: undefined, timeoutMs: 300 });
  t.server.mode = "hang";
  const { sync } = t.fresh();
  const started = performance.now();
  const report = await sync.run();
  assert.ok(performance.now() - started < 1500, "two lists, 300 ms each");
  assert.deepEqual(report.lists.map((l) => l.outcome), ["failed", "failed"]);
  assert.match(report.lists[0].error ?? "", /no complete answer within 300 ms/);
});

Deno.test("a list over the size bound is refused, with the bound in the reason", async () => {
  await using t = await setup({ dir: undefined, maxBytes: 40 });
  const { sync } = t.fresh();
  const report = await sync.run();
  assert.equal(report.lists[0].outcome, "failed");
  assert.match(report.lists[0].error ?? "", /over the 40-byte limit/);
});

Deno.test("an allowlist's every entry allows, and beats the blocklists", async () => {
  await using t = await setup();
  t.server.set("allow", "tracker.example\n||adblock.test^\n");
  const allow: ListSource = { name: "allow", location: `${t.server.url}/allow`, kind: "allow" };
  const { blocklist, sync } = t.fresh([...t.sources, allow]);
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => [l.kind, l.blockEntries, l.allowEntries]).at(-1), [
    "allow",
    0,
    2,
  ]);
  assert.deepEqual(blocklist.decide("tracker.example"), {
    verdict: "allowed",
    rule: { list: "allow", entry: "tracker.example" },
  });
  assert.equal(blocklist.decide("ads.example").verdict, "blocked");
});

Deno.test("a list taken out of the settings is dropped at the next sync", async () => {
  await using t = await setup();
  const blocklist = new MemoryBlocklist();
  const options = { dir: t.dir, maxAgeMs: 0, maxBytes: 1 << 20, timeoutMs: 2000 };
  await new ListSync(blocklist, t.sources, options).run();
  await new ListSync(blocklist, t.sources.slice(1), options).run();
  assert.equal(blocklist.decide("ads.example").verdict, "none");
  assert.equal(blocklist.decide("malware.test").verdict, "blocked");
  assert.deepEqual((await blocklist.summary()).map((l) => l.name), ["custom", "domains"]);
});

Deno.test("a file path is read as a list, and a missing file fails with its path", async () => {
  await using t = await setup();
  const path = `${t.dir}/local.txt`;
  await Deno.writeTextFile(path, "0.0.0.0 local.example\n");
  const { blocklist, sync } = t.fresh([
    { name: "local", location: path, kind: "block" },
    { name: "missing", location: `${t.dir}/missing.txt`, kind: "block" },
  ]);
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => l.outcome), ["file", "failed"]);
  assert.match(report.lists[1].error ?? "", /missing\.txt: No such file/);
  assert.equal(blocklist.decide("local.example").verdict, "blocked");
});

Deno.test("with a shared lock held elsewhere, sync does nothing and says why", async () => {
  await using t = await setup();
  const held: SyncLock = { tryLock: () => Promise.resolve(false), unlock: () => Promise.resolve() };
  const blocklist = new MemoryBlocklist();
  const sync = new ListSync(blocklist, t.sources, {
    maxAgeMs: 0,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    lock: held,
  });
  const report = await sync.run();
  assert.equal(report.skipped, "another instance is syncing");
  assert.deepEqual(describeReport(report), ["blocklist sync skipped: another instance is syncing"]);
  assert.equal(t.server.requests.length, 0);
});

Deno.test("a lock this instance may still hold after a Redis blip does not keep it waiting", async () => {
  await using t = await setup();
  // A lock as Redis keeps it (SET NX with a holder), whose replies a blip can lose.
  let holder: string | undefined;
  let blip: "take" | "release" | undefined;
  const lock: SyncLock = {
    tryLock: (who) => {
      if (holder !== undefined) return Promise.resolve(false);
      holder = who;
      if (blip === "take") return Promise.reject(new Error("redis SET timed out"));
      return Promise.resolve(true);
    },
    unlock: (who) => {
      if (blip === "release") return Promise.reject(new Error("redis DEL failed"));
      if (holder === who) holder = undefined;
      return Promise.resolve();
    },
  };
  const sync = new ListSync(new MemoryBlocklist(), t.sources, {
    maxAgeMs: 0,
    maxBytes: 1 << 20,
    timeoutMs: 1000,
    lock,
  });
  // The release's reply lost: the lock stays taken, by this instance.
  blip = "release";
  assert.equal((await sync.run()).skipped, undefined);
  blip = undefined;
  assert.equal((await sync.run()).skipped, undefined, "its own lock released first");
  // The take's reply lost: taken, though the run saw an error.
  blip = "take";
  await assert.rejects(sync.run(), /timed out/);
  blip = undefined;
  assert.equal((await sync.run()).skipped, undefined);
  assert.equal(holder, undefined);
});

Deno.test("a run of only some lists reads them again at once, and leaves the others be", async () => {
  await using t = await setup({ dir: undefined, maxAgeMs: 3_600_000 });
  const { blocklist, sync } = t.fresh();
  await sync.run();
  assert.equal(t.server.requests.length, 2);
  t.server.set("hosts", "0.0.0.0 changed.example\n");
  // A plain run: both lists are fresh, nothing is read.
  await sync.run();
  assert.equal(t.server.requests.length, 2);
  const report = await sync.run(false, ["hosts"]);
  assert.deepEqual(report.lists.map((list) => [list.name, list.blockEntries]), [["hosts", 1]]);
  assert.equal(t.server.requests.length, 3, "only the list asked for");
  assert.equal(blocklist.decide("changed.example").verdict, "blocked");
  assert.equal(blocklist.decide("malware.test").verdict, "blocked", "the other list stays");
});

Deno.test("concurrent runs share one sync", async () => {
  await using t = await setup({ dir: undefined });
  const { sync } = t.fresh();
  const [a, b] = await Promise.all([sync.run(), sync.run()]);
  assert.equal(a, b);
  assert.equal(t.server.requests.length, 2);
  assert.equal(sync.lastReport, a);
});

Deno.test("lists the store loaded within the refresh interval are left alone unless forced", async () => {
  await using t = await setup();
  const { sync } = t.fresh();
  await sync.run();
  t.server.requests.length = 0;
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => [l.outcome, l.blockEntries]), [
    ["fresh-in-store", 2],
    ["fresh-in-store", 2],
  ]);
  assert.equal(t.server.requests.length, 0);
  const forced = await sync.run(true);
  assert.deepEqual(forced.lists.map((l) => l.outcome), ["unchanged", "unchanged"]);
  assert.deepEqual(t.server.requests.map((r) => r.status), [304, 304]);
});

Deno.test("IP entries load with their list, an allowlist's as exceptions, and the report counts them", async () => {
  await using t = await setup();
  t.server.set("ips", "||192.0.2.7^\n198.51.100.0/24\n@@198.51.100.9\nads.example\n");
  t.server.set("fixes", "192.0.2.7\n");
  const { blocklist, sync } = t.fresh([
    { name: "ips", location: `${t.server.url}/ips`, kind: "block" },
    { name: "fixes", location: `${t.server.url}/fixes`, kind: "allow" },
  ]);
  const report = await sync.run();
  assert.deepEqual(report.lists.map((l) => [l.name, l.blockEntries, l.ipEntries]), [
    ["ips", 1, 3],
    ["fixes", 0, 1],
  ]);
  assert.match(
    describeReport(report)[0],
    /^blocklist ips: download, 1 block, 0 allow entries, 3 IP entries, \d+ ms$/,
  );
  const addresses = (text: string) =>
    Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...text.split(".").map(Number)]);
  const rules = blocklist.addressRules!;
  assert.equal(rules.decide(addresses("198.51.100.1")).verdict, "blocked");
  assert.equal(rules.decide(addresses("198.51.100.9")).verdict, "none", "its own exception");
  assert.equal(rules.decide(addresses("192.0.2.7")).verdict, "none", "the allowlist's");
});

Deno.test("sync loads a list's rules, and its report names every skipped modifier once with its count", async () => {
  await using t = await setup();
  t.server.set(
    "domains",
    [
      "/^ad[0-9]+\\./",
      "||aaaa.example^$dnstype=AAAA",
      "||a.example^$third-party",
      "||b.example^$third-party,script",
      "||c.example^$domain=d.example",
      "||e.example^$script",
    ].join("\n"),
  );
  const { blocklist, sync } = t.fresh();
  const report = await sync.run();
  const domains = report.lists[1];
  assert.equal(domains.ruleEntries, 2);
  assert.deepEqual(domains.skippedModifiers, { "third-party": 2, script: 2, domain: 1 });
  assert.match(
    describeReport(report)[1],
    /^blocklist domains: download, 0 block, 0 allow entries, 2 rules, \d+ ms; skipped for browser-only modifiers: \$third-party 2, \$script 2, \$domain 1$/,
  );
  assert.equal(blocklist.decide("ad1.example").verdict, "blocked");
  assert.equal((await blocklist.summary()).find((list) => list.name === "domains")?.ruleEntries, 2);
  // Not loaded again (the text did not change), the list's line still says what it skipped.
  const again = await sync.run(true);
  assert.equal(again.lists[1].outcome, "unchanged");
  assert.match(
    describeReport(again)[1],
    /^blocklist domains: unchanged, 0 block, 0 allow entries, 2 rules, \d+ ms; skipped for browser-only modifiers: \$third-party 2, \$script 2, \$domain 1$/,
  );
});

Deno.test("an allowlist's rules allow what they match", async () => {
  await using t = await setup();
  t.server.set("allow", "/^ok[0-9]+\\./\n");
  t.server.set("domains", "/^ok/\n");
  const { blocklist, sync } = t.fresh([
    ...t.sources,
    { name: "allow", location: `${t.server.url}/allow`, kind: "allow" },
  ]);
  await sync.run();
  assert.deepEqual(blocklist.decide("ok1.example"), {
    verdict: "allowed",
    rule: { list: "allow", entry: "/^ok[0-9]+\\./" },
  });
  assert.equal(blocklist.decide("okay.example").verdict, "blocked");
});
