/**
 * The records file in force, on a real file watched with Deno.watchFs: an edit is loaded and
 * answers at once, a broken or missing file keeps the last good records with one line naming
 * file, line and column, and startup refuses a bad file.
 */
import assert from "node:assert/strict";
import { LiveRecords, RecordsFileError } from "../../records/live.ts";
import type { RecordsFile } from "../../records/parse.ts";
import { eventually } from "../support/eventually.ts";

interface Files {
  dir: string;
  path: string;
  /** What the records reported (stderr lines). */
  lines: string[];
  /** Every records file loaded, the first included. */
  loads: RecordsFile[];
}

/** Writes `text` to a records file in a temp dir, opens it, runs `fn`, and cleans up. */
async function withRecords(
  text: string,
  fn: (live: LiveRecords, files: Files) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "records-live-" });
  const files: Files = { dir, path: `${dir}/records.txt`, lines: [], loads: [] };
  await Deno.writeTextFile(files.path, text);
  try {
    const live = await open(files);
    try {
      await fn(live, files);
    } finally {
      live.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function open(files: Files): Promise<LiveRecords> {
  return LiveRecords.open(files.path, {
    udpAvailable: true,
    onLoad: (file) => files.loads.push(file),
    report: (line) => files.lines.push(line),
    debounceMs: 20,
  });
}

const addressOf = (live: LiveRecords, name: string) => {
  const match = live.current.find(name);
  if (match === undefined || !match.exists) return undefined;
  return (match.records.get(1)?.[0]?.data as { address: string } | undefined)?.address;
};

/** Waits for the watcher to load a file in which `name` has `address`. */
const loaded = (live: LiveRecords, name: string, address: string) =>
  eventually(() => {
    assert.equal(addressOf(live, name), address);
    return Promise.resolve();
  }, 3000);

Deno.test("an edited records file answers the next query once it is saved", async () => {
  await withRecords("a.example A 192.0.2.1\n", async (live, files) => {
    assert.equal(addressOf(live, "a.example"), "192.0.2.1");
    assert.equal(live.description, "1 record, 0 patterns, 0 local zones, 0 forward zones");
    assert.ok(live.watch());
    const before = live.current.serial;
    const version = live.version;
    await Deno.writeTextFile(
      files.path,
      "a.example A 192.0.2.2\nb.example A 192.0.2.3\ncorp.example FORWARD udp://10.0.0.1\n",
    );
    await loaded(live, "a.example", "192.0.2.2");
    assert.equal(addressOf(live, "b.example"), "192.0.2.3");
    assert.ok(live.current.serial > before, "the SOA serial moves on");
    assert.equal(live.version, version + 1, "remembered answers go (pipeline/answer_memo.ts)");
    assert.deepEqual(files.loads.map((file) => file.forwards.length), [0, 1]);
    assert.deepEqual(files.lines, [
      `records: reloaded ${files.path}: 2 records, 0 patterns, 0 local zones, 1 forward zone`,
    ]);
  });
});

Deno.test("a file replaced by a rename (as editors save) is noticed too", async () => {
  await withRecords("a.example A 192.0.2.1\n", async (live, files) => {
    live.watch();
    await Deno.writeTextFile(`${files.dir}/records.tmp`, "a.example A 192.0.2.9\n");
    await Deno.rename(`${files.dir}/records.tmp`, files.path);
    await loaded(live, "a.example", "192.0.2.9");
  });
});

Deno.test("a broken file keeps the last good records and says why in one line", async () => {
  await withRecords("a.example A 192.0.2.1\n", async (live, files) => {
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
  });
});

Deno.test("a fixed file is loaded while another file in its directory keeps being written", async () => {
  await withRecords("a.example A 192.0.2.1\n", async (live, files) => {
    live.watch();
    // A log beside the records file, written more often than the quiet time the reload waits.
    let writing = true;
    const log = await Deno.open(`${files.dir}/gateway.log`, { create: true, append: true });
    const writer = (async () => {
      const line = new TextEncoder().encode("a log line\n");
      for (let i = 0; writing && i < 2000; i++) {
        await log.write(line);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await Deno.writeTextFile(files.path, "a.example A 192.0.2.300\n");
      await eventually(() => {
        assert.equal(files.lines.length, 1, "the broken file is reported");
        return Promise.resolve();
      }, 3000);
      // Saved as editors do: a temporary file renamed over it.
      await Deno.writeTextFile(`${files.dir}/records.txt.swp`, "a.example A 192.0.2.2\n");
      await Deno.rename(`${files.dir}/records.txt.swp`, files.path);
      await loaded(live, "a.example", "192.0.2.2");
      assert.equal(files.lines.length, 2, `reported once each: ${files.lines.join("\n")}`);
      assert.match(files.lines[1], /^records: reloaded /);
    } finally {
      writing = false;
      await writer;
      log.close();
    }
  });
});

Deno.test("a records file that is a symlink is reloaded when a link beside it is swapped", async () => {
  // As Kubernetes mounts a ConfigMap: records.txt -> ..data/records.txt, and an update points
  // ..data at a new directory by renaming a fresh link over it.
  await withRecords("a.example A 192.0.2.1\n", async (_, files) => {
    for (const [version, address] of [["v1", "192.0.2.1"], ["v2", "192.0.2.2"]]) {
      await Deno.mkdir(`${files.dir}/..${version}`);
      await Deno.writeTextFile(`${files.dir}/..${version}/records.txt`, `a.example A ${address}\n`);
    }
    await Deno.symlink("..v1", `${files.dir}/..data`);
    const path = `${files.dir}/mounted.txt`;
    await Deno.symlink("..data/records.txt", path);
    const live = await open({ ...files, path });
    try {
      live.watch();
      await Deno.symlink("..v2", `${files.dir}/..data_tmp`);
      await Deno.rename(`${files.dir}/..data_tmp`, `${files.dir}/..data`);
      await loaded(live, "a.example", "192.0.2.2");
    } finally {
      live.close();
    }
  });
});

Deno.test("a file that disappears keeps the last good records", async () => {
  await withRecords("a.example A 192.0.2.1\n", async (live, files) => {
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
  });
});

Deno.test("a file saved with the same text is not loaded again", async () => {
  await withRecords("a.example A 192.0.2.1\n", async (live, files) => {
    await Deno.writeTextFile(files.path, "a.example A 192.0.2.1\n");
    const version = live.version;
    await live.reload();
    assert.deepEqual(files.lines, []);
    assert.equal(files.loads.length, 1);
    assert.equal(live.version, version);
  });
});

Deno.test("LiveRecords.open() refuses a file with a mistake or one it cannot read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "records-live-" });
  const files: Files = { dir, path: `${dir}/records.txt`, lines: [], loads: [] };
  await Deno.writeTextFile(files.path, "# header\nexample.com AA 1.2.3.4\n");
  await assert.rejects(open(files), (error) => {
    assert.ok(error instanceof RecordsFileError);
    assert.equal(
      error.message,
      'line 2, column 13: expected a record type (A, AAAA, CNAME, TXT, MX, SRV, PTR, ZONE or FORWARD), found "AA"',
    );
    return true;
  });
  await Deno.remove(dir, { recursive: true });
  await assert.rejects(open(files), /^RecordsFileError: cannot read the file \(/);
});
