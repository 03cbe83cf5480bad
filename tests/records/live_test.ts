/**
 * The records file in force, on a real file watched with Deno.watchFs: an edit is loaded and
 * answers at once, a broken or missing file keeps the last good records with one line naming
 * file, line and column, and startup refuses a bad file.
 */
import assert from "node:assert/strict";
import { LiveRecords, RecordsFileError } from "../../records/live.ts";
import type { RecordsFile } from "../../records/parse.ts";
import { eventually } from "../support/eventually.ts";

async function setup(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "records-live-" });
  const path = `${dir}/records.txt`;
  await Deno.writeTextFile(path, text);
  const lines: string[] = [];
  const loads: RecordsFile[] = [];
  const open = () =>
    LiveRecords.open(path, {
      udpAvailable: true,
      onLoad: (file) => loads.push(file),
      report: (line) => lines.push(line),
      debounceMs: 20,
    });
  return {
    dir,
    path,
    lines,
    loads,
    open,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

const addressOf = (live: LiveRecords, name: string) => {
  const match = live.current.find(name);
  if (match === undefined || !match.exists) return undefined;
  return (match.records.get(1)?.[0]?.data as { address: string } | undefined)?.address;
};

Deno.test("an edited records file answers the next query once it is saved", async () => {
  await using files = await setup("a.example A 192.0.2.1\n");
  const live = await files.open();
  try {
    assert.equal(addressOf(live, "a.example"), "192.0.2.1");
    assert.equal(live.description, "1 record, 0 patterns, 0 local zones, 0 forward zones");
    assert.ok(live.watch());
    const before = live.current.serial;
    await Deno.writeTextFile(
      files.path,
      "a.example A 192.0.2.2\nb.example A 192.0.2.3\ncorp.example FORWARD udp://10.0.0.1\n",
    );
    await eventually(() => {
      assert.equal(addressOf(live, "a.example"), "192.0.2.2");
      return Promise.resolve();
    }, 3000);
    assert.equal(addressOf(live, "b.example"), "192.0.2.3");
    assert.ok(live.current.serial > before, "the SOA serial moves on");
    assert.deepEqual(files.loads.map((file) => file.forwards.length), [0, 1]);
    assert.deepEqual(files.lines, [
      `records: reloaded ${files.path}: 2 records, 0 patterns, 0 local zones, 1 forward zone`,
    ]);
  } finally {
    live.close();
  }
});

Deno.test("a file replaced by a rename (as editors save) is noticed too", async () => {
  await using files = await setup("a.example A 192.0.2.1\n");
  const live = await files.open();
  try {
    live.watch();
    await Deno.writeTextFile(`${files.dir}/records.tmp`, "a.example A 192.0.2.9\n");
    await Deno.rename(`${files.dir}/records.tmp`, files.path);
    await eventually(() => {
      assert.equal(addressOf(live, "a.example"), "192.0.2.9");
      return Promise.resolve();
    }, 3000);
  } finally {
    live.close();
  }
});

Deno.test("a broken file keeps the last good records and says why in one line", async () => {
  await using files = await setup("a.example A 192.0.2.1\n");
  const live = await files.open();
  try {
    live.watch();
    await Deno.writeTextFile(files.path, "a.example A 192.0.2.5\nb.example A 192.0.2.300\n");
    await eventually(() => {
      assert.equal(files.lines.length, 1);
      return Promise.resolve();
    }, 3000);
    assert.equal(
      files.lines[0],
      `records: ${files.path}:2:13: "192.0.2.300" is not an IPv4 address; keeping the last good records`,
    );
    assert.equal(addressOf(live, "a.example"), "192.0.2.1");
    assert.equal(files.loads.length, 1, "nothing new was loaded");
  } finally {
    live.close();
  }
});

Deno.test("a file that disappears keeps the last good records", async () => {
  await using files = await setup("a.example A 192.0.2.1\n");
  const live = await files.open();
  try {
    await Deno.remove(files.path);
    await live.reload();
    assert.equal(files.lines.length, 1);
    assert.match(
      files.lines[0],
      new RegExp(
        `^records: ${files.path}: cannot read the file \\(.+\\); keeping the last good records$`,
      ),
    );
    assert.equal(addressOf(live, "a.example"), "192.0.2.1");
  } finally {
    live.close();
  }
});

Deno.test("a file saved with the same text is not loaded again", async () => {
  await using files = await setup("a.example A 192.0.2.1\n");
  const live = await files.open();
  try {
    await Deno.writeTextFile(files.path, "a.example A 192.0.2.1\n");
    await live.reload();
    assert.deepEqual(files.lines, []);
    assert.equal(files.loads.length, 1);
  } finally {
    live.close();
  }
});

Deno.test("LiveRecords.open() refuses a file with a mistake or one it cannot read", async () => {
  await using files = await setup("# header\nexample.com AA 1.2.3.4\n");
  await assert.rejects(files.open(), (error) => {
    assert.ok(error instanceof RecordsFileError);
    assert.equal(
      error.message,
      'line 2, column 13: expected a record type (A, AAAA, CNAME, TXT, MX, SRV, PTR, ZONE or FORWARD), found "AA"',
    );
    return true;
  });
  await Deno.remove(files.path);
  await assert.rejects(files.open(), /^RecordsFileError: cannot read the file \(/);
});
