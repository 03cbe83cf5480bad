/**
 * Stored builds shared between processes (blocklist/shared_sets.ts, set_file.ts,
 * runtime/mapped_file.ts): a set mapped from its file answers name by name as the one built
 * from the same entries, misses included; a file replaced by a rename or removed leaves a
 * mapping intact; a file short, corrupt or from other text is refused with its reason and
 * built again. Two syncs on one directory (two workers): one builds and stores, the other
 * maps, and both switch when the list changes, the old file removed.
 */
import assert from "node:assert/strict";
import { DomainSet } from "../../blocklist/domain_set.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import {
  decodeSetFile,
  encodeSetFile,
  type ListExtras,
  type StoredList,
} from "../../blocklist/set_file.ts";
import { SharedSets } from "../../blocklist/shared_sets.ts";
import type { ListSource } from "../../blocklist/source.ts";
import { describeReport } from "../../blocklist/describe_report.ts";
import { ListSync } from "../../blocklist/sync.ts";
import { mapFile, mappingUnavailable } from "../../runtime/mapped_file.ts";
import { lockingUnavailable } from "../../runtime/file_lock.ts";
import { Random } from "../support/random_messages.ts";

// The C libraries (mapping, locking) opened as the file loads, as a gateway opens them once per
// process: opened inside the first test, older Denos' sanitizers count them as that test's leak.
mappingUnavailable();
lockingUnavailable();

const ID = "AAAAAAAAAAAAAAAA";

function label(rnd: Random): string {
  let text = "";
  const length = 3 + rnd.int(8);
  for (let i = 0; i < length; i++) text += "abcdefghijklmnopqrstuvwxyz0123456789-"[rnd.int(36)];
  return text;
}

/** Names of 2-4 labels; some entries are wildcards. */
function names(rnd: Random, count: number): string[] {
  return Array.from({ length: count }, () => {
    const labels = Array.from({ length: 2 + rnd.int(3) }, () => label(rnd));
    return labels.join(".");
  });
}

function stored(block: string[], allow: string[] = []): StoredList {
  return {
    sets: { block: DomainSet.from(block), allow: DomainSet.from(allow) },
    extras: { rules: [{ text: "/ads/", key: "/ads/", allow: false, regex: "ads" }] },
  };
}

async function mapped(path: string): Promise<StoredList> {
  const bytes = mapFile(path);
  assert.equal(typeof bytes, "object", `mapped: ${bytes}`);
  const found = await decodeSetFile(bytes as Uint8Array<ArrayBuffer>, "block", ID);
  assert.equal(typeof found, "object", `decoded: ${found}`);
  return found as StoredList;
}

async function writeStored(path: string, list: StoredList, kind: "block" | "allow" = "block") {
  const temporary = `${path}.tmp`;
  await Deno.writeFile(temporary, await encodeSetFile(kind, ID, list), { mode: 0o444 });
  await Deno.rename(temporary, path);
}

Deno.test("a set mapped from its stored file answers as the built one, name by name, misses included", async () => {
  const rnd = new Random(24);
  const entries = names(rnd, 20_000);
  const wildcards = names(rnd, 500).map((name) => `*.${name}`);
  const allows = names(rnd, 300);
  const built = stored([...entries, ...wildcards, ...entries.slice(0, 100)], allows);
  const dir = await Deno.makeTempDir({ prefix: "shared-sets-" });
  try {
    await writeStored(`${dir}/set`, built);
    const found = await mapped(`${dir}/set`);
    assert.equal(found.sets.block.size, built.sets.block.size);
    assert.deepEqual(found.extras, built.extras);
    const asked = [
      ...entries,
      ...entries.map((name) => `www.${name}`),
      ...wildcards.map((name) => name.slice(2)),
      ...wildcards.map((name) => `a.${name.slice(2)}`),
      ...allows,
      ...names(rnd, 20_000),
    ];
    let matched = 0;
    for (const name of asked) {
      const want = built.sets.block.matchName(name);
      assert.equal(found.sets.block.matchName(name), want, name);
      assert.equal(found.sets.allow.matchName(name), built.sets.allow.matchName(name), name);
      if (want !== undefined) matched++;
    }
    assert.ok(matched > 40_000 && matched < asked.length - 20_000, `${matched} matched`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stored file replaced by a rename, or removed, leaves its mapping answering as before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shared-sets-" });
  try {
    const path = `${dir}/set`;
    await writeStored(path, stored(["old.example"]));
    const old = await mapped(path);
    await writeStored(path, stored(["new.example", "other.example"]));
    assert.equal(old.sets.block.matchName("www.old.example"), "old.example");
    assert.equal(old.sets.block.matchName("new.example"), undefined);
    assert.equal((await mapped(path)).sets.block.matchName("new.example"), "new.example");
    await Deno.remove(path);
    assert.equal(old.sets.block.matchName("old.example"), "old.example");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stored file short, corrupt, of another kind or from other text is refused with why", async () => {
  const good = await encodeSetFile("block", ID, stored(["a.example", "b.example"]));
  const why = (bytes: Uint8Array, kind: "block" | "allow" = "block", id = ID) =>
    decodeSetFile(new Uint8Array(bytes), kind, id);
  assert.equal(typeof await why(good), "object");
  assert.equal(await why(good.subarray(0, 60)), "shorter than a header");
  assert.equal(await why(good.subarray(0, good.length - 4)), "of the wrong length");
  assert.equal(await why(good.subarray(0, 132)), "shorter than its sets");
  const flipped = new Uint8Array(good);
  flipped[good.length - 20] ^= 1;
  assert.equal(await why(flipped), "its checksum does not match");
  assert.equal(await why(good, "allow"), "another layout");
  assert.equal(await why(good, "block", "BBBBBBBBBBBBBBBB"), "built from other text");
  const other = new Uint8Array(good);
  other[12] = 99;
  assert.equal(await why(other), "format version 99");
  assert.equal(
    await why(new TextEncoder().encode("0.0.0.0 ads.example\n".repeat(10))),
    "not a stored set",
  );
});

Deno.test("a header word changed with the checksum left as it was is refused, not read", async () => {
  const good = await encodeSetFile("block", ID, stored(["a.example", "www.b.example"]));
  const set = new Uint32Array(good.buffer, 28, 5);
  for (const word of [2, 3]) {
    // Depth masks: a bit dropped would make the set skip every name of that depth, unseen.
    const changed = new Uint8Array(good);
    new Uint32Array(changed.buffer, 28, 5)[word] = set[word] ^ (1 << 2);
    assert.notEqual(new Uint32Array(changed.buffer, 28, 5)[word], set[word]);
    assert.equal(await decodeSetFile(changed, "block", ID), "its checksum does not match");
  }
  const unused = new Uint8Array(good);
  unused[120] = 1;
  assert.equal(await decodeSetFile(unused, "block", ID), "its checksum does not match");
});

Deno.test("a directory that runs backwards, or extras that are no object, are refused even with a right checksum", async () => {
  const parts = DomainSet.from(["a.example", "b.example", "c.example"]).parts();
  const directory = new Uint32Array(parts.directory.length);
  directory[directory.length - 1] = parts.size;
  // A bucket from the last entry back to the first: a lookup would read 2^32 entries of it.
  directory[1] = 0xffff_ffff;
  const broken = DomainSet.fromParts({ ...parts, directory });
  const file = await encodeSetFile("block", ID, {
    sets: { block: broken, allow: DomainSet.EMPTY },
    extras: {},
  });
  assert.equal(await decodeSetFile(file, "block", ID), "a broken directory");
  const notObject = await encodeSetFile("block", ID, {
    ...stored(["a.example"]),
    extras: null as unknown as ListExtras,
  });
  assert.equal(await decodeSetFile(notObject, "block", ID), "its extras are not an object");
});

Deno.test("the builder's own file is not hashed again: its header is the one it wrote", async () => {
  const good = await encodeSetFile("block", ID, stored(["a.example", "b.example"]));
  const header = good.slice(0, 128);
  // A body changed under the same header shows whether it was hashed: the builder's is not.
  const changed = new Uint8Array(good);
  changed[128 + 3 * 4] ^= 1; // the first entry's low word, after a directory of 3 words
  assert.equal(await decodeSetFile(changed, "block", ID), "its checksum does not match");
  assert.equal(typeof await decodeSetFile(changed, "block", ID, header), "object");
  const otherHeader = new Uint8Array(header);
  otherHeader[90] ^= 1;
  assert.equal(
    await decodeSetFile(changed, "block", ID, otherHeader),
    "its checksum does not match",
  );
});

/** Two processes' syncs (each its own store) sharing one directory and one list file. */
async function twoWorkers() {
  const dir = await Deno.makeTempDir({ prefix: "shared-sets-" });
  const listFile = `${dir}/ads.txt`;
  await Deno.writeTextFile(listFile, "0.0.0.0 old.example\n||rule.example^$dnstype=A\n");
  const sources: ListSource[] = [{ name: "ads", location: listFile, kind: "block" }];
  const worker = () => {
    const blocklist = new MemoryBlocklist();
    const sync = new ListSync(blocklist, sources, {
      dir,
      maxAgeMs: 3_600_000,
      maxBytes: 1 << 20,
      timeoutMs: 2000,
      shareSets: { pollMs: 5 },
    });
    return { blocklist, sync };
  };
  /** The builds stored (the list's lock file aside). */
  const stored = async () => {
    const files: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/sets`)) files.push(entry.name);
    return files.filter((name) => !name.endsWith(".lock"));
  };
  return {
    dir,
    listFile,
    workers: [worker(), worker()],
    stored,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("two workers' syncs: the first builds and stores, the second maps; both switch when the list changes", async () => {
  await using t = await twoWorkers();
  const [one, two] = t.workers;
  const first = await one.sync.run();
  assert.deepEqual(first.lists[0].store, { how: "built" });
  const second = await two.sync.run();
  assert.deepEqual(second.lists[0].store, { how: "mapped" });
  assert.match(
    describeReport(second)[0],
    /^blocklist ads: file, 1 block, 0 allow entries, 1 rules, \d+ ms; store mapped$/,
  );
  for (const { blocklist } of t.workers) {
    assert.equal(blocklist.decide("www.old.example").verdict, "blocked");
    assert.equal(blocklist.decide("new.example").verdict, "none");
    const typed = { question: { type: 1 }, client: { address: "192.0.2.1" }, identity: {} };
    assert.equal(blocklist.decide("rule.example", undefined, typed).verdict, "blocked");
  }
  const [before] = await t.stored();

  await Deno.writeTextFile(`${t.listFile}.new`, "0.0.0.0 new.example\n");
  await Deno.rename(`${t.listFile}.new`, t.listFile);
  // Both at once, as two workers watching the file: one builds, the other waits and maps.
  const reports = await Promise.all(t.workers.map(({ sync }) => sync.run(true)));
  assert.deepEqual(reports.map((r) => r.lists[0].store?.how).sort(), ["built", "mapped"]);
  for (const { blocklist } of t.workers) {
    assert.equal(blocklist.decide("new.example").verdict, "blocked");
    assert.equal(blocklist.decide("www.old.example").verdict, "none");
  }
  const after = await t.stored();
  assert.equal(after.length, 1, `one file left: ${after}`);
  assert.notEqual(after[0], before, "the old build's file is removed");
});

Deno.test("a stored file found corrupt is built again and replaced", async () => {
  await using t = await twoWorkers();
  const [one, two] = t.workers;
  await one.sync.run();
  const [file] = await t.stored();
  const path = `${t.dir}/sets/${file}`;
  const bytes = await Deno.readFile(path);
  bytes[bytes.length - 1] ^= 1;
  await Deno.writeFile(`${path}.bad`, bytes, { mode: 0o444 });
  await Deno.rename(`${path}.bad`, path);
  const report = await two.sync.run();
  assert.deepEqual(report.lists[0].store, {
    how: "built",
    why: "the stored one refused: its checksum does not match",
  });
  assert.equal(two.blocklist.decide("old.example").verdict, "blocked");
  const id = (await two.blocklist.summary()).find((list) => list.name === "ads")!.contentId!;
  const again = await new SharedSets(t.dir).lookup("ads", "block", id);
  assert.ok(again.found, "the file was stored again, whole");
});
