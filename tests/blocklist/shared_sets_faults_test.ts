/**
 * What may lie where a stored list build should be (blocklist/shared_sets.ts), and what the lock
 * between builders does when a builder dies. Whatever is there (an empty file, a directory, a
 * link to /dev/zero, a pipe, a writable file, a cut one), the lookup neither loops nor stalls:
 * the list is built again, with one reason, by one process while the others wait to map it. A
 * builder killed with SIGKILL leaves no lock to wait out (the kernel drops it), and its
 * half-written file is removed by the next builder. Files of lists no longer configured are
 * removed after a sync. A full or read-only file system stores nothing and leaves nothing
 * behind; the list is built here (those tests mount a tmpfs, as root).
 */
import assert from "node:assert/strict";
import { describeReport } from "../../blocklist/describe_report.ts";
import { DomainSet } from "../../blocklist/domain_set.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { encodeSetFile, type StoredList } from "../../blocklist/set_file.ts";
import { type SetLookup, SharedSets } from "../../blocklist/shared_sets.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { mappingUnavailable } from "../../runtime/mapped_file.ts";
import { lockingUnavailable } from "../../runtime/file_lock.ts";
import { trimNativeHeap } from "../../runtime/memory_trim.ts";
import { run, runToEnd } from "../support/tools.ts";

// The C libraries (mapping, locking, the heap's trim) opened as the file loads, as a gateway opens
// them once per process: opened inside a test, older Denos' sanitizers count them as its leak.
mappingUnavailable();
lockingUnavailable();
trimNativeHeap();

const ID = "AAAAAAAAAAAAAAAA";
const WAIT_MS = 3000;

function built(names: string[]): StoredList {
  return { sets: { block: DomainSet.from(names), allow: DomainSet.EMPTY }, extras: {} };
}

/** What `work` resolves to, or a failure when it has not, well before `WAIT_MS` (it looped). */
async function soon<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("still running after 1.5 s")), 1500);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function lookupSoon(shared: SharedSets, id = ID): Promise<SetLookup & { ms: number }> {
  const started = performance.now();
  const found = await soon(shared.lookup("ads", "block", id));
  return { ...found, ms: performance.now() - started };
}

async function tempDir(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "shared-sets-faults-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("whatever lies where the stored build should be, the lookup builds again at once, saying why", async () => {
  const good = await encodeSetFile("block", ID, built(["ads.example"]));
  const cases: [string, (path: string) => Promise<unknown>, string][] = [
    ["empty", (path) => Deno.writeFile(path, new Uint8Array(), { mode: 0o444 }), "it is empty"],
    ["directory", (path) => Deno.mkdir(path), "not a regular file"],
    ["link to /dev/zero", (path) => Deno.symlink("/dev/zero", path), "a symbolic link"],
    ["pipe", (path) => run("mkfifo", [path]), "not a regular file"],
    [
      "writable",
      (path) => Deno.writeFile(path, good, { mode: 0o644 }),
      "writable (a stored file is read-only)",
    ],
    [
      "cut short",
      (path) => Deno.writeFile(path, good.subarray(0, good.length - 8), { mode: 0o444 }),
      "shorter than its sets",
    ],
    [
      "a short header",
      (path) => Deno.writeFile(path, good.subarray(0, 100), { mode: 0o444 }),
      "shorter than a header",
    ],
  ];
  for (const [what, make, why] of cases) {
    await using t = await tempDir();
    const shared = new SharedSets(t.dir, { waitMs: WAIT_MS, pollMs: 5 });
    await Deno.mkdir(shared.dir);
    const path = shared.pathOf("ads", "block", ID);
    await make(path);
    const found = await lookupSoon(shared);
    assert.ok(found.claim, `${what}: claimed`);
    assert.equal(found.why, `the stored one refused: ${why}`, what);
    const stored = await shared.store(found.claim, "block", ID, built(["ads.example"]));
    if (what === "directory") {
      // A file cannot be renamed over a directory: built here, not shared, said so.
      assert.match(stored as string, /^not stored: /, what);
      continue;
    }
    assert.equal(typeof stored, "object", `${what}: ${stored}`);
    const again = await lookupSoon(shared);
    assert.equal(again.found?.sets.block.matchName("www.ads.example"), "ads.example", what);
  }
});

Deno.test("over a file refused, the others wait for the builder's new file and map it, not build their own", async () => {
  await using t = await tempDir();
  const builder = new SharedSets(t.dir, { pollMs: 5 });
  const waiter = new SharedSets(t.dir, { waitMs: WAIT_MS, pollMs: 5 });
  await Deno.mkdir(builder.dir);
  await Deno.writeFile(builder.pathOf("ads", "block", ID), new Uint8Array(), { mode: 0o444 });
  const { claim, why } = await builder.lookup("ads", "block", ID);
  assert.ok(claim);
  assert.equal(why, "the stored one refused: it is empty");
  const waiting = waiter.lookup("ads", "block", ID);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await builder.store(claim, "block", ID, built(["ads.example"]));
  const found = await soon(waiting);
  assert.equal(found.found?.sets.block.matchName("ads.example"), "ads.example", found.why);
});

Deno.test("a sync over an empty stored file loads the list, built, with one line saying why", async () => {
  await using t = await tempDir();
  const list = `${t.dir}/ads.txt`;
  await Deno.writeTextFile(list, "0.0.0.0 ads.example\n");
  const blocklist = new MemoryBlocklist();
  const options = { dir: t.dir, maxAgeMs: 3_600_000, maxBytes: 1 << 20, timeoutMs: 2000 };
  const sync = new ListSync(blocklist, [{ name: "ads", location: list, kind: "block" }], {
    ...options,
    shareSets: { waitMs: WAIT_MS, pollMs: 5 },
  });
  // The text's id, as the sync computes it: a first sync stores the file, then it is emptied.
  await sync.run(true);
  const [file] = [...Deno.readDirSync(`${t.dir}/sets`)].filter((e) => /\.v\d+$/.test(e.name));
  const path = `${t.dir}/sets/${file.name}`;
  await Deno.remove(path);
  await Deno.writeFile(path, new Uint8Array(), { mode: 0o444 });
  const fresh = new MemoryBlocklist();
  const again = new ListSync(fresh, [{ name: "ads", location: list, kind: "block" }], {
    ...options,
    shareSets: { waitMs: WAIT_MS, pollMs: 5 },
  });
  const report = await soon(again.run(true));
  assert.deepEqual(describeReport(report).filter((line) => line.includes("refused")).length, 1);
  assert.match(
    describeReport(report)[0],
    /; store built, the stored one refused: it is empty$/,
  );
  assert.equal(fresh.decide("www.ads.example").verdict, "blocked");
  assert.equal(fresh.decide("other.example").verdict, "none");
});

/** A builder that claims the list's build, starts writing it, and waits to be killed. */
const BUILDER = `
import { SharedSets } from "${new URL("../../blocklist/shared_sets.ts", import.meta.url)}";
const [dir, id] = Deno.args;
const found = await new SharedSets(dir).lookup("ads", "block", id);
if (found.claim) {
  await Deno.writeFile(found.claim.path + "." + crypto.randomUUID() + ".tmp", new Uint8Array(4096));
}
console.log(found.claim ? "claimed" : "no claim");
setInterval(() => {}, 60_000);
`;

Deno.test("a builder killed with SIGKILL while it holds the lock: the next takes it at once and clears its leftovers", async () => {
  await using t = await tempDir();
  await Deno.writeTextFile(`${t.dir}/builder.ts`, BUILDER);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${t.dir}/builder.ts`, t.dir, ID],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  assert.equal(value?.trim(), "claimed");
  child.kill("SIGKILL");
  assert.equal((await child.status).signal, "SIGKILL");
  await reader.cancel();
  const shared = new SharedSets(t.dir, { waitMs: WAIT_MS, pollMs: 5 });
  const left = () => [...Deno.readDirSync(shared.dir)].map((e) => e.name);
  assert.equal(left().filter((name) => name.endsWith(".tmp")).length, 1, "a build half written");

  const found = await lookupSoon(shared);
  assert.ok(found.claim, `claimed after ${Math.round(found.ms)} ms`);
  assert.ok(found.ms < 1000, `claimed after ${Math.round(found.ms)} ms`);
  assert.deepEqual(left().filter((name) => name.endsWith(".tmp")), [], "the half-written build");
  shared.release(found.claim);
});

Deno.test("a live builder makes the others wait for its file, at most waitMs, then build their own", async () => {
  await using t = await tempDir();
  const builder = new SharedSets(t.dir, { pollMs: 5 });
  const waiter = new SharedSets(t.dir, { waitMs: 300, pollMs: 5 });
  const { claim } = await builder.lookup("ads", "block", ID);
  assert.ok(claim);
  const started = performance.now();
  const waited = await waiter.lookup("ads", "block", ID);
  const ms = performance.now() - started;
  assert.deepEqual(waited, { why: "another process's build took too long" });
  assert.ok(ms >= 300 && ms < 2000, `${ms} ms`);
  // The builder stores while another waits: the waiter maps its file.
  const waiting = waiter.lookup("ads", "block", ID);
  await builder.store(claim, "block", ID, built(["ads.example"]));
  assert.equal((await waiting).found?.sets.block.matchName("ads.example"), "ads.example");
});

Deno.test("a sync removes the stored files of lists no longer configured, from this run or an earlier one", async () => {
  await using t = await tempDir();
  const list = `${t.dir}/ads.txt`;
  await Deno.writeTextFile(list, "0.0.0.0 ads.example\n");
  const sets = `${t.dir}/sets`;
  await Deno.mkdir(sets);
  const earlier = [
    "gone+block-BBBBBBBBBBBBBBBB.v2",
    "gone+block.lock",
    "gone+allow-CCCCCCCCCCCCCCCC.v1",
    `gone+block-BBBBBBBBBBBBBBBB.v2.${crypto.randomUUID()}.tmp`,
    "ads+block-DDDDDDDDDDDDDDDD.v1",
  ];
  for (const name of earlier) await Deno.writeFile(`${sets}/${name}`, new Uint8Array(64));
  const sync = new ListSync(
    new MemoryBlocklist(),
    [{ name: "ads", location: list, kind: "block" }],
    {
      dir: t.dir,
      maxAgeMs: 3_600_000,
      maxBytes: 1 << 20,
      timeoutMs: 2000,
      shareSets: { pollMs: 5 },
    },
  );
  await sync.run(true);
  const left = [...Deno.readDirSync(sets)].map((entry) => entry.name).sort();
  assert.equal(left.length, 2, `${left}`);
  assert.match(left[0], /^ads\+block-.{16}\.v2$/);
  assert.equal(left[1], "ads+block.lock");
});

/** A tmpfs of `size` mounted at `path` for `use`, or a line saying why the test cannot run. */
async function withTmpfs(path: string, size: string, use: () => Promise<void>): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  const mounted = await runToEnd("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path]);
  if (!mounted.success) {
    console.log(`skipped: mounting a tmpfs needs root (${mounted.stderr.trim()})`);
    return;
  }
  try {
    await use();
  } finally {
    await runToEnd("umount", ["-l", path]);
  }
}

function syncOf(dir: string, list: string, blocklist = new MemoryBlocklist()) {
  const sync = new ListSync(blocklist, [{ name: "ads", location: list, kind: "block" }], {
    dir,
    maxAgeMs: 3_600_000,
    maxBytes: 8 << 20,
    timeoutMs: 2000,
    shareSets: { waitMs: WAIT_MS, pollMs: 5 },
  });
  return { blocklist, sync };
}

Deno.test("on a full file system the build is not stored, nothing half-written is left, and the list loads", async () => {
  await using t = await tempDir();
  const list = `${t.dir}/ads.txt`;
  // 40,000 names: a store of some 300 KiB, in a file system of 128 KiB.
  await Deno.writeTextFile(
    list,
    Array.from({ length: 40_000 }, (_, i) => `0.0.0.0 n${i}.example\n`).join(""),
  );
  await withTmpfs(`${t.dir}/state`, "128k", async () => {
    const { blocklist, sync } = syncOf(`${t.dir}/state`, list);
    const report = await soon(sync.run(true));
    assert.match(
      describeReport(report)[0],
      /; store built, not stored: No space left on device \(os error 28\)/,
    );
    assert.equal(blocklist.decide("www.n39999.example").verdict, "blocked");
    assert.equal(blocklist.decide("n40000.example").verdict, "none");
    const left = [...Deno.readDirSync(`${t.dir}/state/sets`)].map((entry) => entry.name);
    assert.deepEqual(left, ["ads+block.lock"]);
  });
});

Deno.test("on a read-only file system a stored build is still mapped, and a missing one built here, said once", async () => {
  await using t = await tempDir();
  const list = `${t.dir}/ads.txt`;
  await Deno.writeTextFile(list, "0.0.0.0 ads.example\n");
  const state = `${t.dir}/state`;
  await withTmpfs(state, "1m", async () => {
    await syncOf(state, list).sync.run(true);
    await run("mount", ["-o", "remount,ro", state]);
    const mapped = syncOf(state, list);
    assert.deepEqual((await soon(mapped.sync.run(true))).lists[0].store, { how: "mapped" });
    assert.equal(mapped.blocklist.decide("ads.example").verdict, "blocked");

    await Deno.writeTextFile(list, "0.0.0.0 other.example\n");
    const built = syncOf(state, list);
    const report = await soon(built.sync.run(true));
    assert.equal(report.lists[0].store?.how, "built");
    assert.match(report.lists[0].store?.why ?? "", /^not stored \(Read-only file system/);
    assert.equal(built.blocklist.decide("other.example").verdict, "blocked");
  });
});
