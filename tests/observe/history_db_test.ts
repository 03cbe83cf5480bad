import assert from "node:assert/strict";
import { Rcode, RType } from "../../dns/mod.ts";
import { DatabaseSync } from "node:sqlite";
import type { HistorySearch } from "../../observe/history.ts";
import { HistoryDb, SWEEP_IDS, UNWRITTEN_COUNTERS } from "../../observe/history_db.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 10, 12, 30);

function entry(overrides: Partial<QueryLogEntry>): QueryLogEntry {
  return {
    time: NOW,
    client: "192.0.2.1",
    door: "doh",
    method: "GET",
    name: "www.example",
    type: RType.A,
    source: "upstream",
    upstream: "udp://192.0.2.53:53",
    rcode: Rcode.NOERROR,
    durationMs: 12.5,
    ...overrides,
  };
}

async function withDb(test: (db: HistoryDb) => void | Promise<void>, retentionMs = 7 * DAY) {
  const dir = await Deno.makeTempDir();
  const db = new HistoryDb(`${dir}/history.db`, { retentionMs, statsRetentionMs: 90 * DAY });
  try {
    await test(db);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a stored query comes back as it was logged, with its answer and outcome", () =>
  withDb((db) => {
    db.insert([{
      entry: entry({ clientName: "Laptop", profile: "kids", rule: "ads: tracker.example" }),
      answer: "A 192.0.2.7",
    }]);
    const page = db.search({ limit: 10 }, NOW);
    assert.equal(page.rows.length, 1);
    assert.equal(page.next, undefined);
    assert.deepEqual(page.rows[0], {
      entry: entry({ clientName: "Laptop", profile: "kids", rule: "ads: tracker.example" }),
      answer: "A 192.0.2.7",
      outcome: "answered",
    });
  }));

Deno.test("a search finds names by substring, clients by name or address, and pages newest first", () =>
  withDb((db) => {
    const batch = [];
    for (let i = 0; i < 30; i++) {
      batch.push({
        entry: entry({
          time: NOW - (30 - i) * 1000,
          name: i % 3 === 0 ? `ads${i}.tracker.example` : `www${i}.example`,
          client: i % 2 === 0 ? "192.0.2.1" : "192.0.2.2",
          clientName: i % 2 === 0 ? "Laptop" : undefined,
          type: i % 5 === 0 ? RType.AAAA : RType.A,
          source: i % 3 === 0 ? "blocked" : "upstream",
        }),
        answer: "",
      });
    }
    db.insert(batch);
    const first = db.search({ name: "TRACKER", limit: 4 }, NOW);
    assert.deepEqual(first.rows.map((r) => r.entry.name), [
      "ads27.tracker.example",
      "ads24.tracker.example",
      "ads21.tracker.example",
      "ads18.tracker.example",
    ]);
    assert.ok(first.rows.every((r) => r.outcome === "blocked"));
    const second = db.search({ name: "tracker", limit: 4, cursor: first.next }, NOW);
    assert.deepEqual(second.rows.map((r) => r.entry.name), [
      "ads15.tracker.example",
      "ads12.tracker.example",
      "ads9.tracker.example",
      "ads6.tracker.example",
    ]);
    const last = db.search({ name: "tracker", limit: 4, cursor: second.next }, NOW);
    assert.equal(last.rows.length, 2);
    assert.equal(db.search({ client: "laptop", limit: 100 }, NOW).rows.length, 15);
    assert.equal(db.search({ client: "192.0.2.2", limit: 100 }, NOW).rows.length, 15);
    assert.equal(db.search({ client: "nobody", limit: 100 }, NOW).rows.length, 0);
    assert.equal(db.search({ type: RType.AAAA, limit: 100 }, NOW).rows.length, 6);
    assert.equal(
      db.search({ outcome: "blocked", client: "laptop", limit: 100 }, NOW).rows.length,
      5,
    );
    const window = db.search({ from: NOW - 10_000, to: NOW - 5000, limit: 100 }, NOW);
    assert.deepEqual(
      window.rows.map((r) => r.entry.time),
      [6, 7, 8, 9, 10].map((s) => NOW - s * 1000),
    );
  }));

Deno.test("statistics count outcomes per bucket, per client and the tops, from the aggregates", () =>
  withDb((db) => {
    db.insert([
      { entry: entry({ time: NOW - 60_000, clientName: "Laptop" }), answer: "" },
      { entry: entry({ time: NOW - 60_000, source: "cache" }), answer: "" },
      { entry: entry({ name: "ads.example", source: "blocked", upstream: undefined }), answer: "" },
      { entry: entry({ rcode: Rcode.SERVFAIL, source: "error", upstream: undefined }), answer: "" },
      { entry: entry({ time: NOW - 5 * DAY, durationMs: 100 }), answer: "" },
    ]);
    const hour = db.stats("1h", NOW);
    assert.equal(hour.buckets.length, 60);
    assert.deepEqual(hour.totals, { answered: 1, cached: 1, blocked: 1, failed: 1 });
    assert.deepEqual(hour.buckets.at(-2), {
      time: NOW - 60_000,
      answered: 1,
      cached: 1,
      blocked: 0,
      failed: 0,
    });
    assert.deepEqual(hour.topBlocked, [{ name: "ads.example", count: 1 }]);
    const week = db.stats("7d", NOW);
    assert.equal(week.totals.answered, 2);
    assert.deepEqual(week.topClients, [
      { client: "192.0.2.1", count: 4 },
      { client: "Laptop", count: 1 },
    ]);
    assert.equal(week.upstreams.length, 1);
    assert.equal(week.upstreams[0].count, 3);
    assert.ok(week.upstreams[0].p50 > 11 && week.upstreams[0].p50 < 14, `${week.upstreams[0].p50}`);
    assert.ok(week.upstreams[0].p95 > 90 && week.upstreams[0].p95 < 110);
    assert.deepEqual(db.stats("30d", NOW, "LAPTOP").totals, {
      answered: 1,
      cached: 0,
      blocked: 0,
      failed: 0,
    });
    assert.equal(db.stats("30d", NOW).source, "sqlite");
  }));

Deno.test("a profile that logs nothing is counted but not stored", () =>
  withDb((db) => {
    db.insert([{ entry: entry({ logMode: "off", client: "" }), answer: "" }]);
    assert.equal(db.count(), 0);
    assert.equal(db.stats("1h", NOW).totals.answered, 1);
    assert.deepEqual(db.stats("1h", NOW).topNames, []);
  }));

Deno.test("retention deletes rows older than it, a batch at a time, by the clock given", () =>
  withDb((db) => {
    const batch = [];
    for (let i = 0; i < 12_000; i++) {
      batch.push({ entry: entry({ time: NOW - 3 * DAY + i }), answer: "" });
    }
    batch.push({ entry: entry({ time: NOW }), answer: "" });
    db.insert(batch);
    assert.equal(db.prune(NOW), 0, "nothing is older than a week yet");
    assert.equal(db.prune(NOW + 4 * DAY + 20_000), 5000);
    assert.equal(db.prune(NOW + 4 * DAY + 20_000), 5000);
    assert.equal(db.prune(NOW + 4 * DAY + 20_000), 2000);
    assert.equal(db.count(), 1);
    assert.equal(db.search({ limit: 10 }, NOW).rows[0].entry.time, NOW);
  }));

Deno.test("the tops of a finished hour are cut to the most counted", () =>
  withDb((db) => {
    const batch = [];
    for (let i = 0; i < 300; i++) {
      batch.push({
        entry: entry({ time: NOW - 2 * 3_600_000, name: `n${i}.example` }),
        answer: "",
      });
    }
    db.insert(batch);
    db.flush(); // the minute's aggregates, held in memory, into the tables
    const count = () =>
      (db.db.prepare("SELECT count(*) AS n FROM tops WHERE res = 3600000 AND kind = 'n'").get() as {
        n: number;
      }).n;
    assert.equal(count(), 300);
    db.prune(NOW);
    assert.equal(count(), 100);
  }));

Deno.test("a batch of many rows is stored whole, late ones among them, in one transaction", () =>
  withDb((db) => {
    // 130 rows of one millisecond, then 20 logged late (an earlier time), and 7 of the first
    // millisecond again: whole inserts of many rows, the rest, and keys taken by earlier rows.
    db.insert([
      ...stored(130, (i) => ({ name: `a${i}.example` })),
      ...stored(20, (i) => ({ time: NOW - 1, name: `late${i}.example` })),
      ...stored(7, (i) => ({ name: `b${i}.example` })),
    ]);
    assert.equal(db.count(), 157);
    assert.equal(db.search({ name: "late", limit: 100 }, NOW).rows.length, 20);
    assert.equal(db.stats("1h", NOW).totals.answered, 157);
  }));

/** `count` queries to store, `fields` of each changed from `entry()`'s. */
function stored(count: number, fields: (i: number) => Partial<QueryLogEntry>) {
  return Array.from({ length: count }, (_, i) => ({ entry: entry(fields(i)), answer: "" }));
}

Deno.test("entries logged late take their millisecond's next keys, none lost to a taken one", () =>
  withDb((db) => {
    // 1000 slow answers of the millisecond before, logged after: 1000 of its 1024 keys.
    db.insert([
      ...stored(1000, (i) => ({ name: `a${i}.example` })),
      ...stored(1000, (i) => ({ time: NOW - 1, name: `late${i}.example` })),
    ]);
    assert.equal(db.count(), 2000);
    // Past the milliseconds counted, a late entry still finds a free key.
    db.insert([
      ...stored(10_001, (i) => ({ time: NOW + 1 + i })),
      ...stored(1, () => ({ time: NOW + 1, name: "very-late.example" })),
    ]);
    assert.equal(db.count(), 12_002);
  }));

/** Two writers of one file, as two workers (WORKERS=2) are; `test` may open a third. */
async function withWriters(
  test: (first: HistoryDb, second: HistoryDb, open: (index: number) => HistoryDb) => void,
) {
  const dir = await Deno.makeTempDir();
  const open = (index: number) =>
    new HistoryDb(`${dir}/history.db`, {
      retentionMs: 7 * DAY,
      statsRetentionMs: 90 * DAY,
      writer: { index, count: 2 },
    });
  const first = open(0);
  const second = open(1);
  try {
    test(first, second, open);
  } finally {
    first.close();
    second.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("workers writing one file each make keys of their own: none of the other's rows lost", () =>
  withWriters((first, second, open) => {
    // The same milliseconds from both, fresh and late, as two busy workers log them.
    for (const db of [first, second, first, second]) {
      db.insert([
        ...stored(300, (i) => ({ time: NOW + (i % 3), name: `n${i}.example` })),
        ...stored(100, (i) => ({ time: NOW - 1, name: `late${i}.example` })),
      ]);
    }
    assert.equal(first.count(), 1600);
    assert.equal(second.count(), 1600);
    assert.throws(() => open(2), RangeError);
  }));

Deno.test("a search by name or client finds rows minutes and days apart, newest first, page by page", () =>
  withDb((db) => {
    const batch = [];
    // A rare name once every 7 hours over a week among a common one every minute of the day.
    for (let i = 0; i < 24; i++) {
      batch.push({
        entry: entry({ time: NOW - i * 7 * 3_600_000, name: "rare.example" }),
        answer: "",
      });
    }
    for (let i = 0; i < 1440; i++) {
      batch.push({
        entry: entry({ time: NOW - i * 60_000 - 7, client: "192.0.2.77" }),
        answer: "",
      });
    }
    db.insert(batch);
    const times: number[] = [];
    let cursor: string | undefined;
    do {
      const page = db.search({ name: "rare", limit: 5, cursor }, NOW);
      times.push(...page.rows.map((row) => row.entry.time));
      cursor = page.next;
    } while (cursor !== undefined);
    assert.deepEqual(times, Array.from({ length: 24 }, (_, i) => NOW - i * 7 * 3_600_000));
    const window = db.search({ name: "rare", from: NOW - 2 * DAY, to: NOW - DAY, limit: 10 }, NOW);
    assert.deepEqual(
      window.rows.map((row) => row.entry.time),
      [4, 5, 6].map((n) => NOW - n * 7 * 3_600_000),
    );
    // The name asked by that client, in minutes each of them was seen in apart too.
    db.insert(
      stored(
        3,
        (i) => ({ time: NOW - i * DAY - 30_000, name: "rare.example", client: "192.0.2.77" }),
      ),
    );
    const both = db.search({ name: "rare", client: "192.0.2.77", limit: 10 }, NOW);
    assert.deepEqual(
      both.rows.map((row) => row.entry.time),
      [0, 1, 2].map((n) => NOW - n * DAY - 30_000),
    );
    const client = db.search({ client: "192.0.2.77", limit: 3 }, NOW);
    assert.deepEqual(
      client.rows.map((row) => row.entry.time),
      [NOW - 7, NOW - 30_000, NOW - 60_007],
    );
  }));

/**
 * A file as an older version wrote it: every field in each row (fourteen values, before
 * `contexts`), and, before `seen`, rows found through an index by name and one by client.
 * Two rows: a query answered from upstream to a named client, and an AAAA query blocked with
 * NXDOMAIN for another client in the profile "kids".
 */
function olderFile(path: string, era: "before seen" | "before contexts"): void {
  const db = new DatabaseSync(path);
  const key = (time: number) => time * 1024;
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE names (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE clients (id INTEGER PRIMARY KEY, address TEXT NOT NULL,
      name TEXT NOT NULL, UNIQUE (address, name));
    CREATE TABLE answers (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE words (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE queries (
      id INTEGER PRIMARY KEY, name INTEGER NOT NULL, type INTEGER NOT NULL, rcode INTEGER,
      outcome INTEGER NOT NULL, client INTEGER, profile INTEGER, door INTEGER, source INTEGER,
      rule INTEGER, upstream INTEGER, answer INTEGER, duration INTEGER, error INTEGER);
    INSERT INTO names VALUES (1, 'old.example'), (2, 'ads.example');
    INSERT INTO clients VALUES (1, '192.0.2.1', 'Laptop'), (2, '192.0.2.2', '');
    INSERT INTO words VALUES (1, 'default'), (2, 'doh GET'), (3, 'upstream'),
      (4, 'udp://192.0.2.53:53'), (5, 'blocked'), (6, 'ads: ads.example'), (7, 'udp'),
      (8, 'kids');
    INSERT INTO answers VALUES (1, 'A 192.0.2.7');
    INSERT INTO queries VALUES
      (${key(NOW - DAY)}, 1, 1, 0, 0, 1, 1, 2, 3, NULL, 4, 1, 125, NULL),
      (${key(NOW - 1000)}, 2, 28, 3, 2, 2, 8, 7, 5, 6, NULL, NULL, NULL, NULL);
  `);
  if (era === "before seen") {
    db.exec(`CREATE INDEX queries_by_name ON queries (name);
      CREATE INDEX queries_by_client ON queries (client);`);
  } else {
    const minute = (time: number) => Math.floor(time / 60_000);
    db.exec(`CREATE TABLE seen (kind INTEGER, value INTEGER, minute INTEGER,
        PRIMARY KEY (kind, value, minute)) WITHOUT ROWID;
      INSERT INTO seen VALUES (0, 1, ${minute(NOW - DAY)}), (1, 1, ${minute(NOW - DAY)}),
        (0, 2, ${minute(NOW - 1000)}), (1, 2, ${minute(NOW - 1000)});`);
  }
  db.close();
}

/** What the older file's two rows were logged as, newest first. */
const OLDER_ROWS = [
  {
    entry: {
      time: NOW - 1000,
      client: "192.0.2.2",
      door: "udp",
      name: "ads.example",
      type: RType.AAAA,
      profile: "kids",
      source: "blocked",
      rule: "ads: ads.example",
      rcode: Rcode.NXDOMAIN,
    },
    answer: "",
    outcome: "blocked",
  },
  {
    entry: {
      time: NOW - DAY,
      client: "192.0.2.1",
      clientName: "Laptop",
      door: "doh",
      method: "GET",
      name: "old.example",
      type: RType.A,
      source: "upstream",
      upstream: "udp://192.0.2.53:53",
      rcode: Rcode.NOERROR,
      durationMs: 12.5,
    },
    answer: "A 192.0.2.7",
    outcome: "answered",
  },
];

/** An older file, opened by this version. */
function withOlderFile(era: "before seen" | "before contexts", test: (db: HistoryDb) => void) {
  return openedAfter((path) => olderFile(path, era), test);
}

Deno.test("a file from before `seen` is found by name and client once opened, its indexes gone", () =>
  withOlderFile("before seen", (db) => {
    assert.equal(db.search({ name: "old", limit: 10 }, NOW).rows.length, 1);
    assert.equal(db.search({ client: "laptop", limit: 10 }, NOW).rows.length, 1);
    const indexes = db.db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'queries'",
    ).all();
    assert.deepEqual(indexes, []);
  }));

Deno.test("a file from before `contexts` keeps its rows as they were, six values each", () =>
  withOlderFile("before contexts", (db) => {
    const columns = db.db.prepare("SELECT name FROM pragma_table_info('queries')").all();
    assert.deepEqual(columns.map((column) => column.name), [
      "id",
      "name",
      "context",
      "rule",
      "answer",
      "duration",
    ]);
    assert.deepEqual(db.search({ limit: 10 }, NOW).rows, OLDER_ROWS);
    const found = (search: Omit<HistorySearch, "limit">) =>
      db.search({ limit: 10, ...search }, NOW).rows.map((row) => row.entry.name);
    assert.deepEqual(found({ type: RType.AAAA }), ["ads.example"]);
    assert.deepEqual(found({ rcode: Rcode.NOERROR }), ["old.example"]);
    assert.deepEqual(found({ outcome: "blocked" }), ["ads.example"]);
    assert.deepEqual(found({ profile: "kids" }), ["ads.example"]);
    assert.deepEqual(found({ client: "laptop", name: "example" }), ["old.example"]);
    assert.deepEqual(found({ client: "192.0.2.2" }), ["ads.example"]);
    // New rows share the contexts the old ones had.
    db.insert([{ entry: OLDER_ROWS[1].entry as QueryLogEntry, answer: "A 192.0.2.7" }]);
    assert.equal(tableRows(db, "contexts"), 2);
    assert.deepEqual(found({ client: "laptop" }), ["old.example", "old.example"]);
  }));

for (const era of ["before contexts", "before seen"] as const) {
  Deno.test(`workers opening a file from ${era.replace("before ", "before `")}\` at once: one converts it, none fails`, () =>
    openedAtOnce(era));
}

async function openedAtOnce(era: "before seen" | "before contexts") {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.db`;
  try {
    olderFile(path, era);
    // Enough rows that converting them takes a while: the others open meanwhile.
    const db = new DatabaseSync(path);
    db.exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 300000)
      INSERT INTO queries SELECT ${(NOW - 2 * DAY) * 1024} + i, 1, 1, 0, 0, 1, 1, 2, 3, NULL, 4, 1,
        125, NULL FROM s`);
    db.close();
    const source = `import { HistoryDb } from ${
      JSON.stringify(import.meta.resolve("../../observe/history_db.ts"))
    };
      self.onmessage = ({ data }) => {
        try {
          const db = new HistoryDb(data, { retentionMs: 7 * 86400000, statsRetentionMs: 90 * 86400000 });
          self.postMessage(db.count());
          db.close();
        } catch (error) {
          self.postMessage(String(error));
        }
      };`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const workers = [0, 1, 2].map(() => new Worker(url, { type: "module" }));
    try {
      const counts = await Promise.all(workers.map((worker) =>
        new Promise((resolve) => {
          worker.onmessage = ({ data }) => resolve(data);
          worker.postMessage(path);
        })
      ));
      assert.deepEqual(counts, [300_002, 300_002, 300_002]);
    } finally {
      for (const worker of workers) worker.terminate();
      URL.revokeObjectURL(url);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A file made and changed by `before`, then opened anew for `after`. */
function reopened(before: (db: HistoryDb) => void, after: (db: HistoryDb) => void) {
  return openedAfter((path) => {
    const first = new HistoryDb(path, OPTIONS);
    try {
      before(first);
    } finally {
      first.close();
    }
  }, after);
}

/** A file `make` writes, then opened for `test`. */
async function openedAfter(make: (path: string) => void, test: (db: HistoryDb) => void) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.db`;
  try {
    make(path);
    const db = new HistoryDb(path, OPTIONS);
    try {
      test(db);
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const OPTIONS = { retentionMs: 7 * DAY, statsRetentionMs: 90 * DAY };

Deno.test("a day's tops count each of its hours once: ended and summed, late, and the current one", () =>
  withDb((db) => {
    const HOUR = 3_600_000;
    const asked = (time: number, name: string, n: number) => stored(n, () => ({ time, name }));
    db.insert([...asked(NOW - 2 * HOUR, "a.example", 3), ...asked(NOW, "b.example", 2)]);
    const tops = () => db.stats("30d", NOW).topNames;
    assert.deepEqual(tops(), [{ name: "a.example", count: 3 }, { name: "b.example", count: 2 }]);
    db.prune(NOW); // the hour two hours ago ends in its day's tops
    assert.deepEqual(tops(), [{ name: "a.example", count: 3 }, { name: "b.example", count: 2 }]);
    db.insert([...asked(NOW - 2 * HOUR, "a.example", 2), ...asked(NOW, "b.example", 4)]);
    db.prune(NOW);
    assert.deepEqual(tops(), [{ name: "b.example", count: 6 }, { name: "a.example", count: 5 }]);
    assert.deepEqual(db.stats("24h", NOW).topNames, tops(), "the hours say the same");
  }));

Deno.test("workers writing one file sum each ended hour into its day once, and both say so", () =>
  withWriters((first, second) => {
    const HOUR = 3_600_000;
    const asked = (n: number) => stored(n, () => ({ time: NOW - 2 * HOUR, name: "a.example" }));
    first.insert(asked(3));
    second.insert(asked(2));
    // Both run retention, each rolling the hour that ended into its day.
    first.prune(NOW);
    second.prune(NOW);
    // A late one for that hour, from the writer that did not roll it last.
    first.insert(asked(1));
    for (const db of [first, second]) {
      assert.deepEqual(db.stats("30d", NOW).topNames, [{ name: "a.example", count: 6 }]);
      assert.deepEqual(db.stats("24h", NOW).topNames, [{ name: "a.example", count: 6 }]);
    }
  }));

Deno.test("a file whose days' tops were counted per batch counts none twice once opened", () =>
  reopened(
    (before) => {
      before.insert([{ entry: entry({ name: "a.example" }), answer: "" }]);
      before.flush();
      // As the file was: the day's tops counted with the hour's, and nothing said of summing.
      before.db.exec(`INSERT INTO tops SELECT 86400000, kind, bucket - bucket % 86400000, key, n
        FROM tops WHERE res = 3600000; DELETE FROM meta WHERE key = 'tops rolled'`);
    },
    (db) => {
      db.insert([{ entry: entry({ name: "a.example" }), answer: "" }]);
      db.prune(NOW + 3_600_000);
      assert.deepEqual(db.stats("30d", NOW + 3_600_000).topNames, [
        { name: "a.example", count: 2 },
      ]);
    },
  ));

Deno.test("retention takes the minutes a name or client was seen in with the rows", () =>
  withDb((db) => {
    db.insert([
      { entry: entry({ time: NOW - 8 * DAY, name: "old.example" }), answer: "" },
      { entry: entry({ time: NOW, name: "new.example" }), answer: "" },
    ]);
    const seen = () =>
      (db.db.prepare("SELECT count(*) AS n FROM seen WHERE kind <= 1").get() as { n: number }).n;
    assert.equal(seen(), 4, "a name and a client, each in two minutes");
    db.prune(NOW);
    assert.equal(seen(), 2);
    assert.deepEqual(db.search({ name: "example", limit: 10 }, NOW).rows.map((r) => r.entry.name), [
      "new.example",
    ]);
  }));

/** Rows of an aggregate table, as the file holds them. */
function tableRows(db: HistoryDb, table: string): number {
  return (db.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

Deno.test("a minute's aggregates are written once, when a later minute's batch comes", () =>
  withDb((db) => {
    db.insert(stored(3, () => ({ time: NOW })));
    db.insert(stored(2, () => ({ time: NOW + 1000, name: "b.example" })));
    assert.equal(tableRows(db, "counts"), 0, "held while the minute goes on");
    assert.equal(tableRows(db, "tops"), 0);
    db.insert(stored(1, () => ({ time: NOW + 60_000 })));
    // The ended minute, at the minute, the hour and the day; the client's besides everyone's.
    assert.equal(tableRows(db, "counts"), 6);
    assert.deepEqual(db.stats("1h", NOW + 60_000).totals.answered, 6);
  }));

Deno.test("statistics count the minute not yet written, and so does the file once closed", () =>
  reopened(
    (before) => {
      before.insert(stored(4, (i) => ({ time: NOW, source: i === 0 ? "blocked" : "cache" })));
      assert.equal(tableRows(before, "counts"), 0);
      const stats = before.stats("1h", NOW);
      assert.deepEqual(stats.totals, { answered: 0, cached: 3, blocked: 1, failed: 0 });
      assert.deepEqual(stats.topBlocked, [{ name: "www.example", count: 1 }]);
      before.insert(stored(2, () => ({ time: NOW, name: "b.example" })));
    },
    (db) => {
      const stats = db.stats("24h", NOW);
      assert.equal(stats.totals.cached + stats.totals.blocked + stats.totals.answered, 6);
      assert.deepEqual(stats.topNames, [
        { name: "www.example", count: 4 },
        { name: "b.example", count: 2 },
      ]);
    },
  ));

Deno.test("retention writes the minutes that ended before it sums an hour into its day", () =>
  withDb((db) => {
    const HOUR = 3_600_000;
    db.insert(stored(3, () => ({ time: NOW - HOUR, name: "a.example" })));
    db.insert(stored(1, () => ({ time: NOW, name: "now.example" })));
    assert.equal(tableRows(db, "tops"), 2, "the hour ago's name, in its hour's tops");
    db.insert(stored(2, () => ({ time: NOW - HOUR, name: "a.example" })));
    db.prune(NOW + 2 * HOUR);
    const day = db.db.prepare(
      "SELECT n FROM tops WHERE res = 86400000 AND kind = 'n' AND key = 'a.example'",
    ).get() as { n: number };
    assert.equal(day.n, 5, "the late rows were written before the hour was summed");
  }));

Deno.test("more counters than are held in memory are written at once", () =>
  withDb((db) => {
    db.insert(stored(UNWRITTEN_COUNTERS, (i) => ({ time: NOW, name: `n${i}.example` })));
    assert.ok(tableRows(db, "tops") >= UNWRITTEN_COUNTERS, "a name's tops row each");
    db.insert(stored(1, () => ({ time: NOW })));
    assert.equal(db.stats("1h", NOW).totals.answered, UNWRITTEN_COUNTERS + 1);
  }));

/** What a dictionary or context table holds. */
function texts(db: HistoryDb, table: string): number {
  return tableRows(db, table);
}

Deno.test("retention deletes the names, clients, contexts and words no stored query uses any more", () =>
  withDb((db) => {
    // A week ago: a client with ever new names, ClientIDs, upstream errors and rules.
    const flood = Array.from({ length: 3000 }, (_, i) => ({
      entry: entry({
        time: NOW - 8 * DAY + i,
        name: `n${i}.flood.example`,
        clientName: `id${i}`,
        error: `upstream said ${i}`,
        rule: i % 2 ? `list: r${i}.example` : undefined,
      }),
      answer: "",
    }));
    db.insert([...flood, { entry: entry({ clientName: "Laptop" }), answer: "A 192.0.2.7" }]);
    assert.ok(texts(db, "names") > 3000 && texts(db, "contexts") > 3000);
    assert.ok(texts(db, "clients") > 3000 && texts(db, "words") > 4500);
    assert.equal(db.prune(NOW), 3000);
    assert.equal(db.count(), 1);
    assert.equal(texts(db, "names"), 1);
    assert.equal(texts(db, "clients"), 1);
    assert.equal(texts(db, "contexts"), 1);
    // The kept row's profile, door and method, source and upstream.
    assert.equal(texts(db, "words"), 4);
    const kept = db.search({ limit: 10 }, NOW).rows;
    assert.deepEqual(kept.map((row) => [row.entry.name, row.entry.clientName, row.answer]), [
      ["www.example", "Laptop", "A 192.0.2.7"],
    ]);
    // What was deleted comes back as new when it is logged again, and is found.
    db.insert([{ entry: flood[1].entry, answer: "" }].map(({ entry: old }) => ({
      entry: { ...old, time: NOW + 1 },
      answer: "",
    })));
    const again = db.search({ name: "flood", limit: 10 }, NOW + 1).rows;
    assert.deepEqual(again.map((row) => [row.entry.name, row.entry.clientName, row.entry.rule]), [
      ["n1.flood.example", "id1", "list: r1.example"],
    ]);
    assert.equal(again[0].entry.error, "upstream said 1");
  }));

Deno.test("a writer sharing the file forgets the ids another's retention deleted", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.db`;
  const first = new HistoryDb(path, { ...OPTIONS, writer: { index: 0, count: 2 } });
  const second = new HistoryDb(path, { ...OPTIONS, writer: { index: 1, count: 2 } });
  try {
    const gone = entry({ name: "gone.example", clientName: "Gone", rule: "list: gone.example" });
    first.insert([{ entry: { ...gone, time: NOW - 8 * DAY }, answer: "A 192.0.2.9" }]);
    second.insert([{ entry: entry({ name: "other.example" }), answer: "" }]);
    second.prune(NOW);
    assert.equal(texts(second, "names"), 1, "the other's name was deleted");
    // The first remembers the ids it gave those texts: they must not be used again.
    first.insert([{ entry: { ...gone, time: NOW }, answer: "A 192.0.2.9" }]);
    const rows = second.search({ name: "gone", limit: 10 }, NOW).rows;
    assert.deepEqual(rows.map((row) => [row.entry.name, row.entry.clientName, row.entry.rule]), [
      ["gone.example", "Gone", "list: gone.example"],
    ]);
    assert.equal(second.search({ limit: 10 }, NOW).rows.length, 2);
  } finally {
    first.close();
    second.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file from before contexts were seen keeps every context and rule its rows use", () =>
  withOlderFile("before contexts", (db) => {
    db.prune(NOW);
    assert.deepEqual(db.search({ limit: 10 }, NOW).rows, OLDER_ROWS);
    assert.equal(texts(db, "contexts"), 2);
  }));

Deno.test("a clock that jumps hours forward and back (a suspend, a correction) counts every query once", () =>
  withDb((db) => {
    const HOUR = 3_600_000;
    const times = [NOW, NOW + 5 * HOUR, NOW + 5 * HOUR + 61_000, NOW - 3 * HOUR, NOW + 30_000];
    for (const [i, time] of times.entries()) {
      db.insert([{ entry: entry({ time, name: `t${i}.example` }), answer: "" }]);
      // Retention runs by the same clock, now here, now there.
      db.prune(time);
    }
    db.prune(NOW - 3 * HOUR);
    const total = (now: number) =>
      Object.values(db.stats("24h", now).totals).reduce((sum, n) => sum + n, 0);
    assert.equal(total(NOW + 6 * HOUR), times.length, "every query counted once, none twice");
    assert.equal(db.search({ limit: 10 }, NOW + 6 * HOUR).rows.length, times.length);
  }));

Deno.test("retention sweeps a table of many names pass by pass, each a share of the ids", () =>
  withDb((db) => {
    const names = 2 * SWEEP_IDS + 5000;
    db.insert(Array.from({ length: names }, (_, i) => ({
      entry: entry({ time: NOW - 8 * DAY + i, name: `n${i}.many.example` }),
      answer: "",
    })));
    db.insert([{ entry: entry({ name: "kept.example" }), answer: "" }]);
    const sizes: number[] = [];
    while (db.prune(NOW) > 0) {
      // the rows past retention go first, a batch at a time
    }
    sizes.push(texts(db, "names"));
    for (let pass = 0; pass < 3; pass++) {
      db.prune(NOW);
      sizes.push(texts(db, "names"));
    }
    // Ids start at 1: the first pass looks at one fewer.
    assert.deepEqual(sizes, [names + 2 - SWEEP_IDS, names + 2 - 2 * SWEEP_IDS, 1, 1]);
    assert.deepEqual(db.search({ limit: 10 }, NOW).rows.map((row) => row.entry.name), [
      "kept.example",
    ]);
  }));

Deno.test("retention bounds the answers of a network whose answers are new every day", () =>
  withDb((db) => {
    // Twenty days of addresses never seen before (a CDN rotating them), retention run each day.
    const perDay = 50;
    for (let day = 0; day < 20; day++) {
      const now = NOW + day * DAY;
      db.insert(Array.from({ length: perDay }, (_, i) => ({
        entry: entry({ time: now + i * 1000, name: `n${i}.cdn.example` }),
        answer: `A 198.51.${day}.${i}`,
      })));
      while (db.prune(now) > 0) {
        // the rows past retention, a batch at a time
      }
    }
    // The week's rows, and at most one day more of answers than they use.
    assert.equal(db.count(), 7 * perDay + perDay);
    assert.ok(texts(db, "answers") <= 9 * perDay, `${texts(db, "answers")} answers kept`);
    const rows = db.search({ limit: 1000 }, NOW + 19 * DAY).rows;
    assert.equal(rows.length, db.count());
    for (const row of rows) {
      const day = Math.round((Math.floor(row.entry.time / 1000) * 1000 - NOW) / DAY);
      assert.equal(row.answer, `A 198.51.${day}.${row.entry.name.slice(1, -12)}`);
    }
  }));

Deno.test("a row inside the retention keeps its answer through retention, asked the days before too", () =>
  withDb((db) => {
    const asked = (time: number, name: string) => ({
      entry: entry({ time, name }),
      answer: "A 192.0.2.7",
    });
    db.insert([asked(NOW - 9 * DAY, "old.example"), asked(NOW - 8 * DAY, "old.example")]);
    // And one logged late for the day before the newest.
    db.insert([
      asked(NOW - 6 * DAY, "kept.example"),
      asked(NOW, "new.example"),
      asked(NOW - DAY, "late.example"),
    ]);
    for (let pass = 0; pass < 5; pass++) db.prune(NOW + pass * 3_600_000);
    const rows = db.search({ limit: 10 }, NOW).rows;
    assert.deepEqual(rows.map((row) => [row.entry.name, row.answer]), [
      ["new.example", "A 192.0.2.7"],
      ["late.example", "A 192.0.2.7"],
      ["kept.example", "A 192.0.2.7"],
    ]);
    assert.equal(
      texts(db, "answers"),
      3,
      "once a day of the stored rows, the days past retention gone",
    );
  }));

Deno.test("a writer sharing the file forgets the answers another's retention deleted", () =>
  withWriters((first, second) => {
    // One name and context throughout: retention deletes no text but the old day's answer.
    const asked = (time: number, answer: string) => ({ entry: entry({ time }), answer });
    first.insert([asked(NOW - 8 * DAY, "A 192.0.2.9")]);
    second.insert([asked(NOW, "A 192.0.2.1")]);
    second.prune(NOW);
    assert.equal(texts(second, "names"), 1);
    assert.equal(texts(second, "answers"), 1, "the old day's answer was deleted");
    // The first remembers the id it gave that day's answer: a row logged late for that day
    // must not point at it.
    first.insert([asked(NOW - 8 * DAY + 1, "A 192.0.2.9")]);
    const rows = second.search({ limit: 10 }, NOW).rows;
    assert.deepEqual(rows.map((row) => row.answer), ["A 192.0.2.1", "A 192.0.2.9"]);
  }));

Deno.test("a file whose answers were kept for ever keeps those its rows use, and only those", () =>
  reopened(
    (before) => {
      before.insert([
        { entry: entry({ time: NOW - 9 * DAY, name: "a.example" }), answer: "A 192.0.2.1" },
        { entry: entry({ time: NOW - 8 * DAY, name: "b.example" }), answer: "A 192.0.2.2" },
        { entry: entry({ time: NOW - 3 * DAY, name: "b.example" }), answer: "A 192.0.2.2" },
        { entry: entry({ time: NOW, name: "c.example" }), answer: "A 192.0.2.3" },
      ]);
      // As the file was: each answer once, whichever day its rows were of.
      before.db.exec(`DELETE FROM queries WHERE id < ${(NOW - 8 * DAY) * 1024};
        CREATE TABLE answers_once (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
        INSERT INTO answers_once SELECT id, text FROM answers WHERE text <> 'A 192.0.2.2'
          UNION ALL SELECT min(id), text FROM answers WHERE text = 'A 192.0.2.2';
        UPDATE queries SET answer = (SELECT id FROM answers_once WHERE text = 'A 192.0.2.2')
          WHERE answer IN (SELECT id FROM answers WHERE text = 'A 192.0.2.2');
        DROP TABLE answers; ALTER TABLE answers_once RENAME TO answers;`);
    },
    (db) => {
      const answers = () => db.search({ limit: 10 }, NOW).rows.map((row) => row.answer);
      assert.deepEqual(answers(), ["A 192.0.2.3", "A 192.0.2.2", "A 192.0.2.2"]);
      assert.equal(texts(db, "answers"), 2, "the answer no row used is gone");
      for (let pass = 0; pass < 3; pass++) db.prune(NOW);
      assert.deepEqual(answers(), ["A 192.0.2.3", "A 192.0.2.2"]);
      db.insert([{ entry: entry({ time: NOW + 1, name: "b.example" }), answer: "A 192.0.2.2" }]);
      assert.deepEqual(answers(), ["A 192.0.2.2", "A 192.0.2.3", "A 192.0.2.2"]);
    },
  ));
