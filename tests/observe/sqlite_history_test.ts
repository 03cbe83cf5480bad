import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RType, TransientSlab } from "../../dns/mod.ts";
import { HistoryBatcher } from "../../observe/history_batcher.ts";
import { RecentHistory } from "../../observe/recent_history.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { SqliteHistory } from "../../observe/sqlite_history.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";
import { addressAnswer } from "../support/dns_query.ts";
import { eventually } from "../support/eventually.ts";

const DAY = 86_400_000;

function entry(time: number, name = "www.example"): QueryLogEntry {
  return {
    time,
    client: "192.0.2.1",
    door: "udp",
    name,
    type: RType.A,
    source: "upstream",
    rcode: 0,
  };
}

function open(dir: string, now = Date.now) {
  const lines: string[] = [];
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const fallback = new RecentHistory(log, { now });
  const history = new SqliteHistory({
    dir,
    retentionMs: DAY,
    statsRetentionMs: 90 * DAY,
    fallback,
    report: (line) => lines.push(line),
    now,
    pruneEveryMs: 60_000,
  });
  return { history, lines, log };
}

Deno.test("the worker stores batches and answers searches and statistics from the file", async () => {
  const dir = await Deno.makeTempDir();
  const { history, lines } = open(`${dir}/data`);
  try {
    assert.equal(await history.ready(), true);
    assert.deepEqual(lines, [`history: ${dir}/data/history.db`]);
    const batcher = new HistoryBatcher({ sinks: [history], flushMs: 20 });
    const now = Date.now();
    for (let i = 0; i < 5; i++) batcher.record(entry(now - i, `n${i}.example`));
    await eventually(async () =>
      assert.equal((await history.search({ limit: 10 })).rows.length, 5)
    );
    const page = await history.search({ name: "n3", limit: 10 });
    assert.deepEqual(page.rows.map((row) => row.entry.name), ["n3.example"]);
    assert.equal((await history.stats("1h")).totals.answered, 5);
    assert.equal((await history.stats("1h")).source, "sqlite");
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("answers posted with a batch are stored in brief, each as its own bytes say", async () => {
  const dir = await Deno.makeTempDir();
  const { history } = open(dir);
  try {
    await history.ready();
    const now = Date.now();
    const slab = new TransientSlab();
    const one = addressAnswer("a.example", ["192.0.2.1"], { id: 1 });
    // One byte more than `one`, a zero: the same words once `one` is padded to whole words.
    const longer = new Uint8Array(one.length + 1);
    longer.set(one);
    assert.equal(one.length % 4, 3);
    // The same answer twice (decoded once), another with only its ID changed, and a third.
    const answers = [
      slab.copy(one),
      slab.copy(one),
      slab.copy(addressAnswer("a.example", ["192.0.2.1"], { id: 3 })),
      slab.copy(addressAnswer("b.example", ["192.0.2.2"], { id: 2 })),
      longer,
    ];
    history.write(
      [0, 1, 2].map((i) => entry(now + i, "a.example")).concat(
        entry(now + 3, "b.example"),
        entry(now + 4, "a.example"),
      ),
      answers,
    );
    history.write([entry(now + 5, "c.example")], [undefined]);
    await eventually(async () =>
      assert.equal((await history.search({ limit: 10 })).rows.length, 6)
    );
    const rows = (await history.search({ limit: 10 })).rows;
    assert.deepEqual(rows.map((row) => row.answer), [
      "",
      "(not readable)",
      "A 192.0.2.2",
      "A 192.0.2.1",
      "A 192.0.2.1",
      "A 192.0.2.1",
    ]);
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("retention runs by the clock the history is given", async () => {
  const dir = await Deno.makeTempDir();
  let now = Date.now();
  const { history } = open(dir, () => now);
  try {
    await history.ready();
    history.write([entry(now - 2 * 3_600_000, "old.example"), entry(now, "new.example")], []);
    await eventually(async () =>
      assert.equal((await history.search({ limit: 10 })).rows.length, 2)
    );
    history.prune();
    assert.equal((await history.search({ limit: 10 })).rows.length, 2, "both within a day");
    now += DAY - 3_600_000;
    history.prune();
    assert.deepEqual(
      (await history.search({ limit: 10 })).rows.map((row) => row.entry.name),
      ["new.example"],
    );
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file that is not a database is moved aside and made anew, said in one line", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/history.db`, "this is no database, just text ".repeat(200));
  const { history, lines } = open(dir);
  try {
    assert.equal(await history.ready(), true);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^history: .*history\.db was damaged \(.*\): moved to .*\.bad-\d+, made anew$/,
    );
    const moved = [...Deno.readDirSync(dir)].map((file) => file.name);
    assert.ok(moved.some((name) => name.startsWith("history.db.bad-")), moved.join());
    history.write([entry(Date.now())], []);
    await eventually(async () => assert.equal((await history.search({ limit: 1 })).rows.length, 1));
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a data directory that cannot be made turns history off in one line; memory serves", async () => {
  // A file where the directory should be: no one, root included, can make a directory in it.
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  const { history, lines, log } = open(`${dir}/file/data`);
  try {
    assert.equal(await history.ready(), false);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^history: off: cannot make .*\/data: /);
    log.write(entry(Date.now(), "ring.example"));
    history.write([entry(Date.now(), "ring.example")], []);
    const page = await history.search({ limit: 10 });
    assert.deepEqual(page.rows.map((row) => row.entry.name), ["ring.example"]);
    assert.equal((await history.stats("1h")).source, "memory");
    assert.equal((await history.stats("1h")).totals.answered, 1);
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a full queue drops and counts; the query path never waits", () => {
  const written: number[] = [];
  const batcher = new HistoryBatcher({
    sinks: [{ write: (entries) => void written.push(entries.length), pending: () => 1000 }],
    maxBatch: 10,
    maxQueued: 1005,
  });
  for (let i = 0; i < 20; i++) batcher.record(entry(i));
  assert.deepEqual(written, [10]);
  assert.equal(batcher.dropped, 5, "1000 given to the store and not stored, 5 waiting");
  batcher.flush();
});

Deno.test("a worker that dies: what it had pending is counted lost, not waited for, and memory serves", async () => {
  const dir = await Deno.makeTempDir();
  // The real worker, failing when it is given a batch of three (a fault no input makes).
  const source = `import ${JSON.stringify(import.meta.resolve("../../observe/history_worker.ts"))};
    const real = self.onmessage;
    self.onmessage = (event) => {
      if (event.data.kind === "write" && event.data.batch.count === 3) throw new Error("died");
      real(event);
    };`;
  const workerUrl = new URL(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
  const lines: string[] = [];
  const log = createQueryLog({ toStdout: false, capacity: 100 });
  const history = new SqliteHistory({
    dir: `${dir}/data`,
    retentionMs: DAY,
    statsRetentionMs: 90 * DAY,
    fallback: new RecentHistory(log),
    report: (line) => lines.push(line),
    pruneEveryMs: 60_000,
    workerUrl,
  });
  try {
    assert.equal(await history.ready(), true);
    const now = Date.now();
    history.write([entry(now), entry(now)], []);
    history.write([entry(now), entry(now), entry(now)], []);
    assert.equal(history.pending(), 5);
    await eventually(() =>
      Promise.resolve(assert.match(lines.at(-1) ?? "", /^history: off: the worker failed/))
    );
    // The first batch may have been stored before the worker died: the second was not.
    assert.ok(history.failed >= 3 && history.failed <= 5, `${history.failed} counted lost`);
    assert.equal(history.pending(), 0, "nothing left for the batcher to keep room for");
    // A batcher with room for a few still takes entries, for the store that serves now.
    const batcher = new HistoryBatcher({ sinks: [history], maxQueued: 10, flushMs: 10 });
    for (let i = 0; i < 8; i++) batcher.record(entry(now + i));
    batcher.flush();
    assert.equal(batcher.dropped, 0);
    assert.equal((await history.search({ limit: 10 })).source, "memory");
  } finally {
    await history.close();
    URL.revokeObjectURL(workerUrl.href);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file an older version wrote that cannot be converted is left as it was, and the line says what to do", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/data/history.db`;
  await Deno.mkdir(`${dir}/data`);
  // Rows of fourteen values, as before `contexts`, and a table in the conversion's way.
  const old = new DatabaseSync(path);
  old.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE queries (
      id INTEGER PRIMARY KEY, name INTEGER NOT NULL, type INTEGER NOT NULL, rcode INTEGER,
      outcome INTEGER NOT NULL, client INTEGER, profile INTEGER, door INTEGER, source INTEGER,
      rule INTEGER, upstream INTEGER, answer INTEGER, duration INTEGER, error INTEGER);
    INSERT INTO queries VALUES (${
    Date.now() * 1024
  }, 1, 1, 0, 0, 1, 1, 2, 3, NULL, 4, 1, 125, NULL);
    CREATE TABLE queries_by_context (x);`);
  old.close();
  const { history, lines } = open(`${dir}/data`);
  try {
    assert.equal(await history.ready(), false);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^history: off: .*history\.db: converting it from an older version failed: .*; the file is as it was: with free space the size of the file in .*\/data, restart to convert it again, or move it aside to start anew$/,
    );
    const kept = new DatabaseSync(path);
    const columns = kept.prepare("SELECT count(*) AS n FROM pragma_table_info('queries')").get();
    const rows = kept.prepare("SELECT count(*) AS n FROM queries").get();
    kept.close();
    assert.deepEqual([columns?.n, rows?.n], [14, 1]);
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("once the store has caught up, a full queue takes entries again, with nothing waiting to flush", async () => {
  const dir = await Deno.makeTempDir();
  const { history } = open(`${dir}/data`);
  try {
    assert.equal(await history.ready(), true);
    const batcher = new HistoryBatcher({ sinks: [history], maxBatch: 10, maxQueued: 10 });
    const now = Date.now();
    // Ten make a batch, given to the worker: the queue is full until it has stored them.
    for (let i = 0; i < 11; i++) batcher.record(entry(now + i, `a${i}.example`));
    assert.equal(batcher.dropped, 1);
    await eventually(() => Promise.resolve(assert.equal(history.pending(), 0)));
    for (let i = 0; i < 5; i++) batcher.record(entry(now + 20 + i, `b${i}.example`));
    assert.equal(batcher.dropped, 1, "the worker caught up: none dropped");
    batcher.flush();
    await eventually(async () =>
      assert.equal((await history.search({ name: "b", limit: 20 })).rows.length, 5)
    );
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("batches given while the file opens, when it cannot be, are not waited for", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  const { history } = open(`${dir}/file/data`);
  try {
    const batcher = new HistoryBatcher({ sinks: [history], maxBatch: 10, maxQueued: 10 });
    for (let i = 0; i < 10; i++) batcher.record(entry(Date.now(), `early${i}.example`));
    assert.equal(history.pending(), 10, "given to the worker, which is opening the file");
    assert.equal(await history.ready(), false);
    assert.equal(history.pending(), 0);
    for (let i = 0; i < 5; i++) batcher.record(entry(Date.now(), `later${i}.example`));
    assert.equal(batcher.dropped, 0, "room for the store that serves instead");
    batcher.flush();
  } finally {
    await history.close();
    await Deno.remove(dir, { recursive: true });
  }
});

for (const raise of ["ABORT", "ROLLBACK"]) {
  Deno.test(`a batch the file refuses is counted and said why, once a minute (${raise})`, async () => {
    const dir = await Deno.makeTempDir();
    const { history, lines } = open(`${dir}/data`);
    try {
      assert.equal(await history.ready(), true);
      // The file refuses rows, as a full disk would: SQLite fails the batch's statement, or
      // (ROLLBACK, as a full disk may) ends its whole transaction.
      const other = new DatabaseSync(`${dir}/data/history.db`);
      other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON queries
      BEGIN SELECT RAISE(${raise}, 'the disk said no'); END;`);
      other.close();
      history.write([entry(Date.now()), entry(Date.now())], []);
      history.write([entry(Date.now())], []);
      await eventually(() => Promise.resolve(assert.equal(history.failed, 3)));
      assert.deepEqual(lines.slice(1), ["history: 2 queries not stored: Error: the disk said no"]);
    } finally {
      await history.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
