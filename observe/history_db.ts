/**
 * The query history in SQLite (Deno's built-in `node:sqlite`), owned by one thread: the
 * history worker (observe/history_worker.ts) on a VM, a test or the benchmark directly.
 *
 * Compact, so a week of a busy network fits: a row is six integers. Its key is the time in ms
 * times 1024 plus a sequence number, so the key orders rows by time, pages by key, and no
 * time column or time index is needed. Names, clients, answers and every other text live once
 * in dictionary tables, and what rows repeat besides the name, the rule and the answer (type,
 * rcode, outcome, client, profile, door, source, upstream, error) once in `contexts`: a row
 * names its context, so it is stored (and bound to its statement) as six values, not fourteen.
 * The rule stays in the row: most blocked names have a rule of their own, which would make a
 * context for each name and client. A search by name or client finds its rows through `seen`,
 * the minutes each name and client was seen in (one entry per name and minute, not per row, so
 * a batch adds few): a name substring is looked for in the names dictionary first, then the
 * minutes of the names found, newest first, then those minutes' rows by key.
 * Statistics come from aggregate tables (observe/history_tally.ts), so a 90-day range never
 * reads a stored query. A minute's aggregates are counted in memory and written once, when the
 * minute ends (a batch with a later row, or retention's pass says so), not by every batch:
 * each batch rewrote the same counters of the same hour and day. A read of the statistics, and
 * closing, write them first; so does holding more than `UNWRITTEN_COUNTERS`. Retention deletes
 * old rows a small batch at a time, and every hour the texts and contexts no row uses any more
 * (`seen` keeps the minutes of each row's context and rule too, for this). Answers are kept
 * once per day instead, each row's of its own day: the days older than the oldest stored row
 * are deleted whole (#dropOldAnswers), so a network whose answers keep changing keeps those
 * of its stored rows and at most one day more.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { DEFAULT_PROFILE } from "../pipeline/profile.ts";
import type { Door, QueryLogEntry } from "../pipeline/types.ts";
import {
  type HistoryPage,
  type HistoryRow,
  type HistorySearch,
  type HistoryStats,
  type Outcome,
  outcomeOf,
  OUTCOMES,
  type StatsRange,
} from "./history.ts";
import { COLUMN, type HistoryBatch, INTS, packBatch, unpackBatch } from "./history_batch.ts";
import {
  DAY,
  foldBatch,
  HOUR,
  MINUTE,
  MINUTES_KEPT_MS,
  MinuteTally,
  type RangeCounters,
  rangeOf,
  splitKey,
  statsOf,
  Tally,
  type TopKind,
} from "./history_tally.ts";

/** A batch's answers in brief: each distinct text once, and which is each row's (-1 none). */
export interface BatchAnswers {
  texts: string[];
  ofRow: Int32Array;
}

/** One query to store: the log entry and its answer in brief. */
export interface StoredQuery {
  entry: QueryLogEntry;
  answer: string;
}

export interface HistoryDbOptions {
  /** Stored queries older than this are deleted. */
  retentionMs: number;
  /** Aggregates older than this are deleted. */
  statsRetentionMs: number;
  /**
   * When several processes (WORKERS) write one file, this one's place among them: each takes
   * its own share of every millisecond's sequence numbers (index, index + count, ...), so no
   * key it makes is another's. One writer by default.
   */
  writer?: HistoryWriter;
}

/** One writer of a shared history file: its index from 0, and how many there are. */
export interface HistoryWriter {
  index: number;
  count: number;
}

/** Rows deleted per statement when enforcing retention. */
const DELETE_BATCH = 5000;
/** Tops kept per finished hour or day, per kind. */
export const TOPS_KEPT = 100;
/** Names a substring may match and still be searched name by name through the index. */
const NAMES_BY_INDEX = 200;
/** Entries of a dictionary kept in memory (ids of texts seen lately); cleared when full. */
const DICTIONARY_CACHE = 100_000;
const SEQUENCE = 1024;
/** What `seen` keeps the minutes of: names, clients. */
const SEEN_NAME = 0;
const SEEN_CLIENT = 1;
/**
 * What `seen` also keeps the minutes of, so retention can tell which contexts and rules no
 * stored query uses any more (#sweep): contexts, rules.
 */
const SEEN_CONTEXT = 2;
const SEEN_RULE = 3;
/** The meta key saying `seen` has the minutes of every row's context and rule. */
const SEEN_CONTEXTS = "seen contexts";
/** The meta key counting sweeps that deleted texts or contexts: each writer's ids go stale. */
const SWEPT = "dictionaries swept";
/** How often retention deletes the texts and contexts no stored query uses (#sweep), ms. */
const SWEEP_EVERY_MS = 3_600_000;
/**
 * Ids of each table one retention pass sweeps: the write lock is held briefly (other writers
 * wait at most BUSY_WAIT_MS for it), and a file of millions of names is swept pass by pass.
 */
export const SWEEP_IDS = 20_000;
/** The meta key of the hour the days' tops are summed up to. */
const TOPS_ROLLED = "tops rolled";
/** `seen` pairs travel as value * SEEN_MINUTES + minute (minutes since 1970 below 2^26). */
const SEEN_MINUTES = 2 ** 26;
/** Minutes a search looks up in `seen` at first; each next window is twice as long. */
const SEEN_WINDOW = 60;
/** Milliseconds whose next sequence number is kept (a few seconds of a busy network). */
const SEQUENCES_KEPT = 10_000;
const MINUTES_A_DAY = DAY / MINUTE;
/** Values of a row of `queries`. */
const COLUMNS = 6;
/** Rows one INSERT statement stores: fewer statements, each within SQLite's parameter limit. */
const ROWS_PER_INSERT = 100;
/** Where a row's context fields sit in the batch (observe/history_batch.ts). */
const CONTEXT_FIELDS = [
  COLUMN.client,
  COLUMN.clientName,
  COLUMN.door,
  COLUMN.method,
  COLUMN.profile,
  COLUMN.source,
  COLUMN.upstream,
  COLUMN.error,
  COLUMN.type,
  COLUMN.rcode,
];
/** Counters of minutes not yet written that are held in memory; past this, all are written. */
export const UNWRITTEN_COUNTERS = 20_000;

/** How long a statement waits for another writer's lock, ms. */
const BUSY_WAIT_MS = 2000;
/** How long opening waits for another worker converting an older file, ms. */
const MIGRATION_WAIT_MS = 600_000;

const SCHEMA = `
PRAGMA busy_timeout = ${BUSY_WAIT_MS};
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -32768;
CREATE TABLE IF NOT EXISTS names (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS clients (id INTEGER PRIMARY KEY, address TEXT NOT NULL,
  name TEXT NOT NULL, UNIQUE (address, name));
CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, day INTEGER NOT NULL,
  text TEXT NOT NULL, UNIQUE (day, text));
CREATE TABLE IF NOT EXISTS words (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS contexts (id INTEGER PRIMARY KEY, type INTEGER NOT NULL,
  rcode INTEGER NOT NULL, outcome INTEGER NOT NULL, client INTEGER NOT NULL,
  profile INTEGER NOT NULL, door INTEGER NOT NULL, source INTEGER NOT NULL,
  upstream INTEGER NOT NULL, error INTEGER NOT NULL,
  UNIQUE (type, rcode, outcome, client, profile, door, source, upstream, error));
CREATE TABLE IF NOT EXISTS seen (kind INTEGER, value INTEGER, minute INTEGER,
  PRIMARY KEY (kind, value, minute)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_by_minute ON seen (minute);
CREATE TABLE IF NOT EXISTS counts (res INTEGER, client TEXT, bucket INTEGER, outcome INTEGER,
  n INTEGER NOT NULL, PRIMARY KEY (res, client, bucket, outcome)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS profile_counts (res INTEGER, bucket INTEGER, profile TEXT,
  n INTEGER NOT NULL, PRIMARY KEY (res, bucket, profile)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tops (res INTEGER, kind TEXT, bucket INTEGER, key TEXT,
  n INTEGER NOT NULL, PRIMARY KEY (res, kind, bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latency (res INTEGER, bucket INTEGER, upstream TEXT, bin INTEGER,
  n INTEGER NOT NULL, PRIMARY KEY (res, bucket, upstream, bin)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
`;

/**
 * The rows: key, name, context, rule, answer (null: none) and duration in tenths of a ms
 * (null: none). A context's fields are never null: 0 is no id (ids start at 1), -1 no rcode.
 */
const QUERIES = `CREATE TABLE IF NOT EXISTS queries (id INTEGER PRIMARY KEY,
  name INTEGER NOT NULL, context INTEGER NOT NULL, rule INTEGER, answer INTEGER,
  duration INTEGER)`;
/** The context's fields, named as the rows' columns were before `contexts`. */
const CONTEXT_COLUMNS = "type, rcode, outcome, client, profile, door, source, upstream, error";

const ROW_COLUMNS = `q.id, n.text AS name, x.type, x.rcode, x.outcome, c.address, c.name AS
  clientName, p.text AS profile, d.text AS door, s.text AS source, r.text AS rule,
  u.text AS upstream, a.text AS answer, q.duration, e.text AS error`;
const ROW_JOINS = `JOIN names n ON n.id = q.name JOIN contexts x ON x.id = q.context
  LEFT JOIN clients c ON c.id = x.client
  LEFT JOIN words p ON p.id = x.profile LEFT JOIN words d ON d.id = x.door
  LEFT JOIN words s ON s.id = x.source LEFT JOIN words r ON r.id = q.rule
  LEFT JOIN words u ON u.id = x.upstream LEFT JOIN answers a ON a.id = q.answer
  LEFT JOIN words e ON e.id = x.error`;

export class HistoryDb {
  readonly db: DatabaseSync;
  #options: HistoryDbOptions;
  #names: Dictionary;
  #answers: AnswerDictionary;
  #words: Dictionary;
  #clients = new Map<string, number>();
  #clientInsert: StatementSync;
  #clientSelect: StatementSync;
  /** Context ids by their fields' ids, lately. */
  #contexts = new Map<string, number>();
  #contextInsert: StatementSync;
  #contextSelect: StatementSync;
  #insert: StatementSync;
  #seenInsert: StatementSync;
  /** Hours before this one are summed into their days' tops (#rollTops). */
  #rolledTo: number;
  #metaSelect?: StatementSync;
  /** Statements inserting n rows at once, by n. */
  #inserts = new Map<number, StatementSync>();
  /** The milliseconds whose sequence numbers this writer counts, lately, and how many it made. */
  #sequenceMs = new Float64Array(SEQUENCES_KEPT).fill(-1);
  #sequenceMade = new Int32Array(SEQUENCES_KEPT);
  /** This writer's share of the sequence numbers (HistoryDbOptions.writer). */
  readonly #writer: HistoryWriter;
  /** Sequence numbers of one millisecond that are this writer's. */
  readonly #perMs: number;
  /** Milliseconds up to this one may have rows this process did not number (or forgot). */
  #forgottenMs = 0;
  /** Whether the last key `#key` gave is fresh. */
  #keyFresh = false;
  /** The aggregates of minutes not yet written, by the minute's start. */
  #unwritten = new Map<number, MinuteTally>();
  /** The sweeps of the file this writer's dictionaries know of (meta SWEPT). */
  #swept = 0;
  /** When retention last began sweeping the texts and contexts no stored query uses (#sweep). */
  #sweptAt = -Infinity;
  /** The first id the sweep under way has yet to look at; -1: none under way. */
  #sweepFrom = -1;
  /** The day whose older days' answers were all deleted, as far as this writer knows. */
  #answersFrom = -Infinity;

  /** Opens (creating) the database at `path`; throws when it is not one or cannot be written. */
  constructor(path: string, options: HistoryDbOptions) {
    const writer = options.writer ?? { index: 0, count: 1 };
    if (!(writer.count >= 1 && writer.index >= 0 && writer.index < writer.count)) {
      throw new RangeError(`history writer ${writer.index} of ${writer.count}`);
    }
    this.#writer = writer;
    this.#perMs = Math.floor(SEQUENCE / writer.count);
    this.db = new DatabaseSync(path);
    try {
      this.db.exec(SCHEMA);
      this.#moveToSeen();
      this.#moveToContexts();
      this.db.exec(QUERIES);
      this.#seeContexts();
      this.#answersByDay();
      this.db.exec("CREATE TEMP TABLE matching_contexts (id INTEGER PRIMARY KEY)");
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.#options = options;
    this.#rolledTo = this.#topsRolledTo();
    this.#swept = this.#meta(SWEPT) ?? 0;
    this.#names = new Dictionary(this.db, "names");
    this.#answers = new AnswerDictionary(this.db);
    this.#words = new Dictionary(this.db, "words");
    this.#clientInsert = this.db.prepare(
      "INSERT INTO clients (address, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
    );
    this.#clientSelect = this.db.prepare("SELECT id FROM clients WHERE address = ? AND name = ?");
    this.#contextInsert = this.db.prepare(
      `INSERT INTO contexts (${CONTEXT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING`,
    );
    this.#contextSelect = this.db.prepare(
      `SELECT id FROM contexts WHERE (${CONTEXT_COLUMNS}) = (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#seenInsert = this.db.prepare(
      `INSERT OR IGNORE INTO seen SELECT ?, value / ${SEEN_MINUTES}, value % ${SEEN_MINUTES}
        FROM json_each(?)`,
    );
    this.#insert = this.db.prepare("INSERT OR IGNORE INTO queries VALUES (?, ?, ?, ?, ?, ?)");
    const last = this.db.prepare("SELECT max(id) AS id FROM queries").get() as {
      id: number | null;
    };
    this.#forgottenMs = last.id === null ? 0 : Math.floor(last.id / SEQUENCE);
  }

  /** Writes the aggregates held in memory, then closes the file. */
  close(): void {
    try {
      this.flush();
    } finally {
      this.db.close();
    }
  }

  /**
   * Writes the aggregates held in memory for minutes before `before` (all by default), in a
   * transaction of their own: a read of the statistics, retention and closing call it.
   */
  flush(before = Infinity): void {
    if (!this.#hasUnwritten(before)) return;
    this.db.exec("BEGIN IMMEDIATE");
    let written: number[];
    try {
      this.#rolledTo = this.#rolled();
      written = this.#writeUnwritten(before);
      this.db.exec("COMMIT");
    } catch (error) {
      this.#rollBack();
      throw error;
    }
    for (const start of written) this.#unwritten.delete(start);
  }

  #hasUnwritten(before: number): boolean {
    for (const start of this.#unwritten.keys()) if (start < before) return true;
    return false;
  }

  /**
   * Adds the aggregates held for minutes before `before` to the tables, inside the caller's
   * transaction; all of them when they hold more than `UNWRITTEN_COUNTERS`. Returns the
   * minutes written, for the caller to forget once the transaction is committed.
   */
  #writeUnwritten(before: number): number[] {
    let held = 0;
    for (const minute of this.#unwritten.values()) held += minute.size;
    if (held > UNWRITTEN_COUNTERS) before = Infinity;
    const tally = new Tally();
    const written: number[] = [];
    for (const [start, minute] of this.#unwritten) {
      if (start >= before) continue;
      minute.addTo(tally, start);
      written.push(start);
    }
    if (written.length > 0) this.#addTally(tally);
    return written;
  }

  #unwrittenMinute = (start: number): MinuteTally => {
    let minute = this.#unwritten.get(start);
    if (minute === undefined) this.#unwritten.set(start, minute = new MinuteTally());
    return minute;
  };

  /**
   * A file from before `seen` found rows through an index by name and one by client, each row
   * costing an insert into both: their minutes go into `seen`, once, and the indexes away
   * (`#migrate`).
   */
  #moveToSeen(): void {
    const perMinute = SEQUENCE * MINUTE;
    this.#migrate(
      () =>
        this.db.prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'queries_by_name'",
        ).get() !== undefined,
      `INSERT OR IGNORE INTO seen SELECT ${SEEN_NAME}, name, id / ${perMinute} FROM queries;
      INSERT OR IGNORE INTO seen SELECT ${SEEN_CLIENT}, client, id / ${perMinute} FROM queries
        WHERE client IS NOT NULL;
      DROP INDEX queries_by_name;
      DROP INDEX IF EXISTS queries_by_client;`,
    );
  }

  /**
   * A file from before `contexts` kept every field in each row, fourteen values: each distinct
   * combination of the context's fields goes into `contexts`, once, and the rows are copied
   * as six (`#migrate`).
   */
  #moveToContexts(): void {
    const fields = `q.type, ifnull(q.rcode, -1), q.outcome, ifnull(q.client, 0),
      ifnull(q.profile, 0), ifnull(q.door, 0), ifnull(q.source, 0), ifnull(q.upstream, 0),
      ifnull(q.error, 0)`;
    const contextFields = CONTEXT_COLUMNS.replace(/\w+/g, "x.$&");
    this.#migrate(
      () => this.#rowsOfFourteen(),
      `INSERT OR IGNORE INTO contexts (${CONTEXT_COLUMNS})
        SELECT DISTINCT ${fields} FROM queries q;
      ${QUERIES.replace("queries", "queries_by_context")};
      INSERT INTO queries_by_context SELECT q.id, q.name, x.id, q.rule, q.answer, q.duration
        FROM queries q JOIN contexts x ON (${contextFields}) = (${fields});
      DROP TABLE queries;
      ALTER TABLE queries_by_context RENAME TO queries;`,
    );
  }

  /**
   * Runs `sql`, the conversion of a file an older version wrote, when `needed` says the file is
   * still of that version. Workers opening one file at once: the first to take the write lock
   * converts it, the others wait for it (a while for millions of rows), look again under the
   * lock, and find it done.
   */
  #migrate(needed: () => boolean, sql: string): void {
    if (!needed()) return;
    this.db.exec(`PRAGMA busy_timeout = ${MIGRATION_WAIT_MS}`);
    try {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        if (needed()) this.db.exec(sql);
        this.db.exec("COMMIT");
      } catch (error) {
        this.#rollBack();
        throw new ConversionError(error);
      }
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_WAIT_MS}`);
    }
  }

  /**
   * A file from before `seen` kept the minutes of contexts and rules: those of its rows go
   * there, once (`#migrate`), so the sweep never takes a context or rule a row uses.
   */
  #seeContexts(): void {
    const perMinute = SEQUENCE * MINUTE;
    this.#migrate(
      () => this.#meta(SEEN_CONTEXTS) === undefined,
      `INSERT OR IGNORE INTO seen SELECT ${SEEN_CONTEXT}, context, id / ${perMinute} FROM queries;
      INSERT OR IGNORE INTO seen SELECT ${SEEN_RULE}, rule, id / ${perMinute} FROM queries
        WHERE rule IS NOT NULL;
      INSERT INTO meta VALUES ('${SEEN_CONTEXTS}', 1);`,
    );
  }

  /**
   * A file from before answers were kept per day kept each answer once for as long as it
   * lived: each its rows use gets the day of the newest of them, keeping its id (so the sweep
   * of that day takes it only once they are all gone), and the others go (`#migrate`).
   */
  #answersByDay(): void {
    this.#migrate(
      () =>
        this.db.prepare("SELECT 1 FROM pragma_table_info('answers') WHERE name = 'day'")
          .get() === undefined,
      `CREATE TABLE answers_by_day (id INTEGER PRIMARY KEY, day INTEGER NOT NULL,
        text TEXT NOT NULL, UNIQUE (day, text));
      INSERT INTO answers_by_day SELECT a.id, used.last / ${SEQUENCE * DAY}, a.text
        FROM answers a JOIN (SELECT answer, max(id) AS last FROM queries
          WHERE answer IS NOT NULL GROUP BY answer) used ON used.answer = a.id;
      DROP TABLE answers;
      ALTER TABLE answers_by_day RENAME TO answers;`,
    );
  }

  #meta(key: string): number | undefined {
    this.#metaSelect ??= this.db.prepare("SELECT value FROM meta WHERE key = ?");
    return (this.#metaSelect.get(key) as { value: number } | undefined)?.value;
  }

  /**
   * Ends the transaction a failed statement left, if it left one: some failures (a full disk)
   * end it themselves, and the error that matters is theirs, not that there was nothing left
   * to roll back.
   */
  #rollBack(): void {
    if (this.db.isTransaction) this.db.exec("ROLLBACK");
  }

  /** Whether `queries` has the fourteen columns of a file from before `contexts`. */
  #rowsOfFourteen(): boolean {
    const table = this.db.prepare(
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'queries'",
    ).get() as { sql: string } | undefined;
    return table !== undefined && /\boutcome\b/.test(table.sql);
  }

  /** Stores a batch in one transaction and adds it to the aggregates. */
  insert(batch: StoredQuery[]): void {
    const packed = unpackBatch(packBatch(batch.map((stored) => stored.entry), []));
    const answers: BatchAnswers = { texts: [], ofRow: new Int32Array(batch.length) };
    const known = new Map<string, number>();
    batch.forEach(({ answer }, row) => {
      let at = known.get(answer);
      if (at === undefined) known.set(answer, at = answers.texts.push(answer) - 1);
      answers.ofRow[row] = at;
    });
    this.insertBatch(packed, answers);
  }

  /**
   * Stores a batch as the worker is given it, with its answers in brief, in one transaction,
   * and counts it in the aggregates held in memory, writing those of the minutes before its
   * newest. Each of the batch's texts is looked up in the dictionaries once, and rows go in
   * `ROWS_PER_INSERT` to a statement. A batch that cannot be stored is still counted: its
   * queries were answered.
   */
  insertBatch(batch: HistoryBatch, answers: BatchAnswers): void {
    const newest = foldBatch(batch, this.#unwrittenMinute);
    const { ints, texts, time, duration } = batch;
    const names = new Int32Array(texts.length).fill(-1);
    const words = new Int32Array(texts.length).fill(-1);
    const word = (index: number): number => {
      if (index < 0) return 0;
      if (words[index] < 0) words[index] = this.#words.id(texts[index]);
      return words[index];
    };
    // Looked up once the write lock is held (below): another writer's sweep may have deleted
    // what this one's dictionaries remember. An answer's id is its row's day's: looked up
    // again when a row of another day has it (a batch across midnight).
    const answerIds: (number | null)[] = [];
    const answerDays = new Float64Array(answers.texts.length).fill(-1);
    const answerOf = (answer: number, day: number): number | null => {
      if (answerDays[answer] !== day) {
        answerDays[answer] = day;
        const text = answers.texts[answer];
        answerIds[answer] = text === "" ? null : this.#answers.id(day, text);
      }
      return answerIds[answer];
    };
    let defaultProfile = 0;
    // The batch's distinct contexts: their fields (CONTEXT_FIELDS of a row), found by a hash of
    // them, each with its context's id and its client's (for `seen`; 0: none).
    const contextFields: number[] = [];
    const contextIds: number[] = [];
    const contextClients: number[] = [];
    /** The minute each was last put in `seen` in, by the batch's index of it. */
    const contextMinutes: number[] = [];
    const byHash = new Map<number, number[]>();
    const probe: Pick<QueryLogEntry, "source" | "rcode"> = {};
    const contextOf = (at: number): number => {
      let hash = 0;
      for (const field of CONTEXT_FIELDS) hash = Math.imul(hash ^ ints[at + field], 0x01000193);
      let same = byHash.get(hash);
      if (same === undefined) byHash.set(hash, same = []);
      for (const known of same) {
        if (sameFields(ints, at, contextFields, known * CONTEXT_FIELDS.length)) return known;
      }
      const client = ints[at + COLUMN.client];
      const clientName = ints[at + COLUMN.clientName];
      const clientRow = (client < 0 || texts[client] === "") && clientName < 0
        ? 0
        : this.#client(texts[client] ?? "", texts[clientName] ?? "");
      const door = ints[at + COLUMN.door];
      const method = ints[at + COLUMN.method];
      const source = ints[at + COLUMN.source];
      const rcode = ints[at + COLUMN.rcode];
      const profile = ints[at + COLUMN.profile];
      probe.source = source < 0 ? undefined : texts[source] as QueryLogEntry["source"];
      probe.rcode = rcode < 0 ? undefined : rcode;
      const id = this.#context([
        ints[at + COLUMN.type],
        rcode < 0 ? -1 : rcode,
        OUTCOMES.indexOf(outcomeOf(probe)),
        clientRow,
        profile < 0 ? defaultProfile : word(profile),
        this.#words.id(method < 0 ? texts[door] : `${texts[door]} ${texts[method]}`),
        word(source),
        word(ints[at + COLUMN.upstream]),
        word(ints[at + COLUMN.error]),
      ]);
      const index = contextIds.push(id) - 1;
      contextClients.push(clientRow);
      contextMinutes.push(-1);
      for (const field of CONTEXT_FIELDS) contextFields.push(ints[at + field]);
      same.push(index);
      return index;
    };
    // The minutes each name and client was seen in: a name's search looks there. A name's
    // last minute is kept by its index, so most rows add nothing to the set.
    const seenNames = new Set<number>();
    const seenClients = new Set<number>();
    const seenContexts = new Set<number>();
    const seenRules = new Set<number>();
    const nameMinute = new Float64Array(texts.length).fill(-1);
    const ruleMinute = new Float64Array(texts.length).fill(-1);
    // The row before's context, reused while rows repeat it (a cached answer to one client).
    let lastAt = -1, context = -1, clientMinute = -1;
    const rows: (number | null)[] = new Array(ROWS_PER_INSERT * COLUMNS);
    let filled = 0;
    // Immediate: with workers sharing the file, the write lock is taken (or waited for) first,
    // and what another writer rolled is read under it.
    this.db.exec("BEGIN IMMEDIATE");
    try {
      this.#rolledTo = this.#rolled();
      this.#forgetIfSwept();
      defaultProfile = this.#words.id(DEFAULT_PROFILE);
      for (let row = 0; row < batch.count; row++) {
        const at = row * INTS;
        const logMode = ints[at + COLUMN.logMode];
        if (logMode >= 0 && texts[logMode] === "off") continue;
        const name = ints[at + COLUMN.name];
        if (names[name] < 0) names[name] = this.#names.id(texts[name]);
        if (lastAt < 0 || !sameContext(ints, at, lastAt)) {
          context = contextOf(at);
          clientMinute = -1;
        }
        lastAt = at;
        const answer = answers.ofRow[row];
        const key = this.#key(time[row]);
        const fresh = this.#keyFresh;
        const minute = Math.floor(time[row] / MINUTE);
        if (nameMinute[name] !== minute) {
          nameMinute[name] = minute;
          seenNames.add(names[name] * SEEN_MINUTES + minute);
        }
        const clientRow = contextClients[context];
        if (clientRow !== 0 && clientMinute !== minute) {
          clientMinute = minute;
          seenClients.add(clientRow * SEEN_MINUTES + minute);
        }
        if (contextMinutes[context] !== minute) {
          contextMinutes[context] = minute;
          seenContexts.add(contextIds[context] * SEEN_MINUTES + minute);
        }
        const values = fresh ? rows : [];
        let v = fresh ? filled : 0;
        values[v++] = key;
        values[v++] = names[name];
        values[v++] = contextIds[context];
        const rule = ints[at + COLUMN.rule];
        values[v++] = rule < 0 ? null : word(rule);
        if (rule >= 0 && ruleMinute[rule] !== minute) {
          ruleMinute[rule] = minute;
          seenRules.add(words[rule] * SEEN_MINUTES + minute);
        }
        values[v++] = answer < 0 ? null : answerOf(answer, Math.floor(minute / MINUTES_A_DAY));
        values[v++] = Number.isNaN(duration[row]) ? null : Math.round(duration[row] * 10);
        if (fresh) {
          filled = v;
          if (filled === rows.length) {
            this.#insertRows(rows, ROWS_PER_INSERT);
            filled = 0;
          }
          continue;
        }
        // A random key may be taken (see #key): a few other sequence numbers are tried.
        const rest = values.slice(1);
        for (let attempt = 0, id = key; attempt < 4; attempt++, id = this.#key(time[row])) {
          if (this.#insert.run(id, ...rest).changes !== 0) break;
        }
      }
      if (filled > 0) this.#insertRows(rows.slice(0, filled), filled / COLUMNS);
      this.#seenInsert.run(SEEN_NAME, JSON.stringify([...seenNames]));
      this.#seenInsert.run(SEEN_CLIENT, JSON.stringify([...seenClients]));
      this.#seenInsert.run(SEEN_CONTEXT, JSON.stringify([...seenContexts]));
      this.#seenInsert.run(SEEN_RULE, JSON.stringify([...seenRules]));
      const written = this.#writeUnwritten(newest);
      this.db.exec("COMMIT");
      for (const start of written) this.#unwritten.delete(start);
    } catch (error) {
      this.#rollBack();
      throw error;
    }
  }

  /** Inserts `count` whole rows (`COLUMNS` values each) with one statement. */
  #insertRows(values: (number | null)[], count: number): void {
    let statement = this.#inserts.get(count);
    if (statement === undefined) {
      const row = `(${new Array(COLUMNS).fill("?").join(", ")})`;
      statement = this.db.prepare(
        `INSERT OR IGNORE INTO queries VALUES ${new Array(count).fill(row).join(", ")}`,
      );
      this.#inserts.set(count, statement);
    }
    statement.run(...values);
  }

  /**
   * A row key: the time, and a sequence within the same millisecond. An entry logged late (a
   * slow answer) keeps its time. A fresh key (`#keyFresh` says) is its millisecond's next
   * sequence number, which no row has; a millisecond older than those counted
   * (`SEQUENCES_KEPT`), or whose numbers ran out, gets a random one, which may be taken.
   */
  #key(time: number): number {
    const ms = Math.floor(time);
    const { index, count } = this.#writer;
    this.#keyFresh = false;
    if (ms > this.#forgottenMs) {
      // Each millisecond kept has a slot, ms % SEQUENCES_KEPT; a newer one taking it forgets
      // the one there, and with it every older one.
      const slot = ms % SEQUENCES_KEPT;
      const held = this.#sequenceMs[slot];
      if (held < ms) {
        if (held > this.#forgottenMs) this.#forgottenMs = held;
        this.#sequenceMs[slot] = ms;
        this.#sequenceMade[slot] = 0;
      }
      const made = this.#sequenceMade[slot];
      if (held <= ms && made < this.#perMs) {
        this.#sequenceMade[slot] = made + 1;
        this.#keyFresh = true;
        return ms * SEQUENCE + index + made * count;
      }
    }
    return ms * SEQUENCE + index + Math.floor(Math.random() * this.#perMs) * count;
  }

  /** The id of a context, by its fields' ids (CONTEXT_COLUMNS' order), adding it when new. */
  #context(fields: number[]): number {
    const key = fields.join(",");
    const known = this.#contexts.get(key);
    if (known !== undefined) return known;
    this.#contextInsert.run(...fields);
    const { id } = this.#contextSelect.get(...fields) as { id: number };
    if (this.#contexts.size >= DICTIONARY_CACHE) this.#contexts.clear();
    this.#contexts.set(key, id);
    return id;
  }

  #client(address: string, name: string): number {
    const key = `${address}|${name}`;
    const known = this.#clients.get(key);
    if (known !== undefined) return known;
    this.#clientInsert.run(address, name);
    const { id } = this.#clientSelect.get(address, name) as { id: number };
    if (this.#clients.size >= DICTIONARY_CACHE) this.#clients.clear();
    this.#clients.set(key, id);
    return id;
  }

  #addTally(tally: Tally): void {
    const counts = this.db.prepare(
      "INSERT INTO counts VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
    );
    for (const [key, n] of tally.counts) {
      const [res, bucket, outcome, client] = splitKey(key, 3);
      counts.run(
        Number(res),
        client.toLowerCase(),
        Number(bucket),
        OUTCOMES.indexOf(outcome as Outcome),
        n,
      );
    }
    const profiles = this.db.prepare(
      "INSERT INTO profile_counts VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
    );
    for (const [key, n] of tally.profiles) {
      const [res, bucket, profile] = splitKey(key, 2);
      profiles.run(Number(res), Number(bucket), profile, n);
    }
    const tops = this.db.prepare(
      "INSERT INTO tops VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
    );
    for (const [key, n] of tally.tops) {
      const [res, bucket, kind, name] = splitKey(key, 3);
      // A day's tops are its hours' summed once they end (#rollTops), not counted per batch.
      if (Number(res) === DAY) continue;
      const hour = Number(bucket);
      tops.run(HOUR, kind, hour, name, n);
      // An hour summed already (an entry logged late): its day is told too.
      if (hour < this.#rolledTo) tops.run(DAY, kind, hour - hour % DAY, name, n);
    }
    const latency = this.db.prepare(
      "INSERT INTO latency VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
    );
    for (const [key, n] of tally.latency) {
      const [res, bucket, bin, upstream] = splitKey(key, 3);
      latency.run(Number(res), Number(bucket), upstream, Number(bin), n);
    }
  }

  /** Stored queries, newest first, a page at a time. */
  search(search: HistorySearch, now: number): HistoryPage {
    const where: string[] = [];
    const params: (number | string)[] = [];
    const upper = Math.min(
      search.to === undefined ? Infinity : Math.floor(search.to) * SEQUENCE,
      search.cursor === undefined ? Infinity : Number(search.cursor),
      (now + DAY) * SEQUENCE,
    );
    const lower = Math.max(0, Math.floor(search.from ?? 0) * SEQUENCE);
    where.push("q.id < ?", "q.id >= ?");
    params.push(upper, lower);
    // Filters on a row's context: the contexts that match, listed once for the search.
    const matching: string[] = [];
    const matchingParams: number[] = [];
    if (search.type !== undefined) matching.push("type = ?"), matchingParams.push(search.type);
    if (search.rcode !== undefined) matching.push("rcode = ?"), matchingParams.push(search.rcode);
    if (search.outcome !== undefined) {
      matching.push("outcome = ?"), matchingParams.push(OUTCOMES.indexOf(search.outcome));
    }
    if (search.profile !== undefined) {
      const profile = this.#words.find(search.profile.toLowerCase());
      if (profile === undefined) return { rows: [], source: "sqlite" };
      matching.push("profile = ?"), matchingParams.push(profile);
    }
    let clients: number[] | undefined;
    if (search.client !== undefined) {
      const client = search.client.toLowerCase();
      clients = (this.db.prepare(
        "SELECT id FROM clients WHERE lower(address) = ? OR lower(name) = ?",
      ).all(client, client) as { id: number }[]).map((row) => row.id);
      if (clients.length === 0) return { rows: [], source: "sqlite" };
      matching.push(`client IN (${clients.join(",")})`);
    }
    if (matching.length > 0) {
      this.db.exec("DELETE FROM temp.matching_contexts");
      const found = this.db.prepare(
        `INSERT INTO temp.matching_contexts SELECT id FROM contexts WHERE ${
          matching.join(" AND ")
        }`,
      ).run(...matchingParams).changes;
      if (Number(found) === 0) return { rows: [], source: "sqlite" };
      where.push("q.context IN (SELECT id FROM temp.matching_contexts)");
    }
    let ids: number[];
    if (search.name !== undefined && search.name !== "") {
      const names = (this.db.prepare(
        "SELECT id FROM names WHERE text LIKE ? ESCAPE '\\' LIMIT ?",
      ).all(`%${likeEscaped(search.name.toLowerCase())}%`, NAMES_BY_INDEX + 1) as {
        id: number;
      }[]).map((row) => row.id);
      if (names.length === 0) return { rows: [], source: "sqlite" };
      ids = names.length <= NAMES_BY_INDEX
        ? this.#bySeen(
          SEEN_NAME,
          `q.name IN (${names.join(",")})`,
          names,
          where,
          params,
          search.limit,
          lower,
          upper,
          clients && { kind: SEEN_CLIENT, values: clients },
        )
        : this.#byKey(
          [...where, `q.name IN (SELECT id FROM names WHERE text LIKE ? ESCAPE '\\')`],
          [...params, `%${likeEscaped(search.name.toLowerCase())}%`],
          search.limit,
        );
    } else if (clients !== undefined && clients.length <= NAMES_BY_INDEX) {
      // The rows' clients are among the search's contexts already.
      ids = this.#bySeen(SEEN_CLIENT, "", clients, where, params, search.limit, lower, upper);
    } else {
      ids = this.#byKey(where, params, search.limit);
    }
    const rows = this.#rows(ids);
    const page: HistoryPage = { rows, source: "sqlite" };
    if (ids.length === search.limit) page.next = String(ids[ids.length - 1]);
    return page;
  }

  /**
   * The newest `limit` row keys of the names or clients (`kind`) `values` (the rows also
   * `match`ing), from the minutes `seen` says they were in (and, with `alsoSeen`, a client of
   * the search too): a window of minutes at a time, newest first (a window twice as long each
   * time none fills the page), each minute's rows walked by key.
   */
  #bySeen(
    kind: number,
    match: string,
    values: number[],
    where: string[],
    params: (number | string)[],
    limit: number,
    lower: number,
    upper: number,
    alsoSeen?: { kind: number; values: number[] },
  ): number[] {
    const list = values.join(",");
    const also = alsoSeen === undefined ? "" : `AND minute IN (SELECT minute FROM seen
      WHERE kind = ${alsoSeen.kind} AND value IN (${alsoSeen.values.join(",")})
      AND minute >= ? AND minute <= ?)`;
    const minutes = this.db.prepare(
      `SELECT DISTINCT minute FROM seen WHERE kind = ? AND value IN (${list})
        AND minute >= ? AND minute <= ? ${also} ORDER BY minute DESC`,
    );
    const rows = this.db.prepare(
      `SELECT q.id FROM queries q WHERE q.id >= ? AND q.id < ? ${match && `AND ${match}`}
        AND ${where.join(" AND ")} ORDER BY q.id DESC LIMIT ?`,
    );
    const oldest = (this.db.prepare("SELECT min(id) AS id FROM queries").get() as {
      id: number | null;
    }).id;
    if (oldest === null) return [];
    const first = Math.floor(Math.max(lower, oldest) / SEQUENCE / MINUTE);
    let top = Math.floor((upper - 1) / SEQUENCE / MINUTE);
    let window = SEEN_WINDOW;
    const found: number[] = [];
    while (top >= first && found.length < limit) {
      const bottom = Math.max(first, top - window + 1);
      const range = alsoSeen === undefined ? [bottom, top] : [bottom, top, bottom, top];
      for (const { minute } of minutes.all(kind, ...range) as { minute: number }[]) {
        const from = minute * MINUTE * SEQUENCE;
        const to = from + MINUTE * SEQUENCE;
        for (const row of rows.all(from, to, ...params, limit - found.length) as { id: number }[]) {
          found.push(row.id);
        }
        if (found.length >= limit) break;
      }
      top = bottom - 1;
      window *= 2;
    }
    return found;
  }

  /** The newest `limit` row keys, walking rows by key: a search most rows match. */
  #byKey(where: string[], params: (number | string)[], limit: number): number[] {
    return (this.db.prepare(
      `SELECT q.id FROM queries q NOT INDEXED WHERE ${
        where.join(" AND ")
      } ORDER BY q.id DESC LIMIT ?`,
    ).all(...params, limit) as { id: number }[]).map((row) => row.id);
  }

  #rows(ids: number[]): HistoryRow[] {
    if (ids.length === 0) return [];
    const rows = this.db.prepare(
      `SELECT ${ROW_COLUMNS} FROM queries q ${ROW_JOINS} WHERE q.id IN (${
        ids.join(",")
      }) ORDER BY q.id DESC`,
    ).all() as Record<string, string | number | null>[];
    return rows.map((row) => {
      const [door, method] = String(row.door ?? "doh").split(" ");
      const entry: QueryLogEntry = {
        time: Math.floor(Number(row.id) / SEQUENCE),
        client: String(row.address ?? ""),
        door: door as Door,
        name: String(row.name),
        type: Number(row.type),
      };
      if (method === "GET" || method === "POST") entry.method = method;
      if (row.profile !== null && row.profile !== DEFAULT_PROFILE) {
        entry.profile = String(row.profile);
      }
      if (row.clientName) entry.clientName = String(row.clientName);
      if (row.source !== null) entry.source = row.source as QueryLogEntry["source"];
      if (row.rule !== null) entry.rule = String(row.rule);
      if (row.upstream !== null) entry.upstream = String(row.upstream);
      if (Number(row.rcode) >= 0) entry.rcode = Number(row.rcode);
      if (row.duration !== null) entry.durationMs = Number(row.duration) / 10;
      if (row.error !== null) entry.error = String(row.error);
      return {
        entry,
        answer: String(row.answer ?? ""),
        outcome: OUTCOMES[Number(row.outcome)] ?? "answered",
      };
    });
  }

  /** Statistics over a range, from the aggregate tables alone (those held written first). */
  stats(range: StatsRange, now: number, client?: string): HistoryStats {
    this.flush();
    const { from, bucketMs, coarseMs, coarseFrom } = rangeOf(range, now);
    const counters: RangeCounters = { counts: [], profiles: [], tops: [], latency: [] };
    for (
      const row of this.db.prepare(
        "SELECT bucket, outcome, n FROM counts WHERE res = ? AND client = ? AND bucket >= ?",
      ).all(bucketMs, client?.toLowerCase() ?? "", from) as {
        bucket: number;
        outcome: number;
        n: number;
      }[]
    ) counters.counts.push([row.bucket, OUTCOMES[row.outcome], row.n]);
    for (
      const row of this.db.prepare(
        "SELECT profile, sum(n) AS n FROM profile_counts WHERE res = ? AND bucket >= ? GROUP BY profile",
      ).all(bucketMs, from) as { profile: string; n: number }[]
    ) counters.profiles.push([row.profile, row.n]);
    // Days: the hours not yet summed into their day (#rollTops) are added.
    const tops = this.db.prepare(
      `SELECT key, sum(n) AS n FROM (
        SELECT key, n FROM tops WHERE res = ? AND kind = ? AND bucket >= ?
        UNION ALL SELECT key, n FROM tops WHERE res = ? AND kind = ? AND bucket >= ?)
      GROUP BY key ORDER BY n DESC LIMIT 10`,
    );
    const hoursFrom = coarseMs === DAY ? Math.max(coarseFrom, this.#rolled()) : Infinity;
    for (const kind of ["n", "b", "c"] as TopKind[]) {
      for (
        const row of tops.all(coarseMs, kind, coarseFrom, HOUR, kind, hoursFrom) as {
          key: string;
          n: number;
        }[]
      ) counters.tops.push([kind, row.key, row.n]);
    }
    for (
      const row of this.db.prepare(
        "SELECT upstream, bin, sum(n) AS n FROM latency WHERE res = ? AND bucket >= ? GROUP BY upstream, bin",
      ).all(coarseMs, coarseFrom) as { upstream: string; bin: number; n: number }[]
    ) counters.latency.push([row.upstream, row.bin, row.n]);
    return statsOf(range, now, counters, "sqlite", client);
  }

  /**
   * Enforces retention, a batch at a time so the worker keeps writing in between: stored
   * queries older than the log's retention, aggregates older than the statistics' (minute
   * buckets after two days), and the tops of finished hours and days cut to `TOPS_KEPT`, once
   * the aggregates of the minutes ended by `now` are written (so an hour is summed whole).
   * Resolves to how many stored queries it deleted; call again while it deletes a full batch.
   */
  prune(now: number): number {
    this.flush(now - now % MINUTE);
    const deleted = this.db.prepare(
      "DELETE FROM queries WHERE id IN (SELECT id FROM queries WHERE id < ? ORDER BY id LIMIT ?)",
    ).run((now - this.#options.retentionMs) * SEQUENCE, DELETE_BATCH).changes;
    // Through seen_by_minute: the minutes that ended the log's retention since the last pass.
    this.db.prepare("DELETE FROM seen WHERE minute < ?").run(
      Math.floor((now - this.#options.retentionMs) / MINUTE),
    );
    const oldest = now - this.#options.statsRetentionMs;
    this.db.prepare("DELETE FROM counts WHERE res = ? AND bucket < ?").run(
      MINUTE,
      now - MINUTES_KEPT_MS,
    );
    this.db.prepare("DELETE FROM profile_counts WHERE res = ? AND bucket < ?").run(
      MINUTE,
      now - MINUTES_KEPT_MS,
    );
    for (const table of ["counts", "profile_counts", "tops", "latency"]) {
      this.db.prepare(`DELETE FROM ${table} WHERE bucket < ?`).run(oldest);
    }
    this.#cutTops(now);
    // Once the rows past retention are all gone, at most every SWEEP_EVERY_MS (either way: the
    // clock may go back).
    if (Number(deleted) < DELETE_BATCH) {
      if (this.#sweepFrom < 0 && Math.abs(now - this.#sweptAt) >= SWEEP_EVERY_MS) {
        this.#sweptAt = now;
        this.#sweepFrom = 0;
      }
      if (this.#sweepFrom >= 0) this.#sweep();
      this.#dropOldAnswers();
    }
    return Number(deleted);
  }

  /**
   * Deletes the answers of the days before the oldest stored row's, which no stored row can
   * use (a row's answer is of its own day), `SWEEP_IDS` a pass, each under the write lock so
   * no writer stores a row of those days meanwhile; every writer's remembered ids are then
   * forgotten (#forgetIfSwept), as a row logged late for such a day must get its answer anew.
   */
  #dropOldAnswers(): void {
    const oldestDay = (): number | undefined => {
      const { id } = this.db.prepare("SELECT min(id) AS id FROM queries").get() as {
        id: number | null;
      };
      return id === null ? undefined : Math.floor(id / SEQUENCE / DAY);
    };
    const day = oldestDay();
    if (day === undefined || day <= this.#answersFrom) return;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const before = oldestDay() ?? day;
      const deleted = Number(
        this.db.prepare(
          `DELETE FROM answers WHERE id IN (SELECT id FROM answers WHERE day < ? LIMIT ?)`,
        ).run(before, SWEEP_IDS).changes,
      );
      if (deleted > 0) this.#setMeta(SWEPT, (this.#meta(SWEPT) ?? 0) + 1);
      if (deleted < SWEEP_IDS) this.#answersFrom = before;
      this.db.exec("COMMIT");
    } catch (error) {
      this.#rollBack();
      throw error;
    }
    this.#forgetIfSwept();
  }

  /**
   * Sums each ended hour's tops into its day's, once: a batch counts its names by the hour
   * alone, half the work. Runs before the hour's tops are cut.
   */
  #rollTops(now: number): void {
    const ended = now - now % HOUR;
    if (ended <= this.#rolledTo) return;
    // Workers sharing the file each run retention: under the write lock, the hours another has
    // summed already are read, and only the rest are summed.
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const from = this.#rolled();
      if (from < ended) {
        this.db.prepare(
          `INSERT INTO tops SELECT ?, kind, bucket - bucket % ?, key, n FROM tops
            WHERE res = ? AND bucket >= ? AND bucket < ?
            ON CONFLICT DO UPDATE SET n = n + excluded.n`,
        ).run(DAY, DAY, HOUR, from, ended);
        this.#setMeta(TOPS_ROLLED, ended);
      }
      this.db.exec("COMMIT");
      this.#rolledTo = Math.max(from, ended);
    } catch (error) {
      this.#rollBack();
      throw error;
    }
  }

  /** The hour the days' tops are summed up to, as the file says (any writer may have moved it). */
  #rolled(): number {
    return this.#meta(TOPS_ROLLED) ?? this.#rolledTo;
  }

  /**
   * Deletes what no stored query uses any more, as `seen` tells: contexts, names, clients,
   * and words that are neither a context's nor a rule (a client sending a million names, a
   * million ClientIDs, or an upstream failing with ever new messages would grow them for
   * ever). Answers go by day instead (#dropOldAnswers). Every writer's remembered ids
   * are forgotten when anything was deleted (#forgetIfSwept). `SWEEP_IDS` of each table a
   * pass, from `#sweepFrom`, which it moves on (or ends the sweep, past the last id).
   */
  #sweep(): void {
    const from = this.#sweepFrom;
    const to = from + SWEEP_IDS;
    const unseen = (kind: number, table: string) =>
      `DELETE FROM ${table} WHERE id >= ${from} AND id < ${to} AND NOT EXISTS
        (SELECT 1 FROM seen WHERE kind = ${kind} AND value = ${table}.id)`;
    const last = ["names", "clients", "contexts", "words"]
      .map((table) => `ifnull((SELECT max(id) FROM ${table}), 0)`).join(", ");
    const contextWords = ["profile", "door", "source", "upstream", "error"]
      .map((field) => `SELECT ${field} FROM contexts`).join(" UNION ");
    this.db.exec("BEGIN IMMEDIATE");
    try {
      let deleted = 0;
      for (
        const sql of [
          unseen(SEEN_CONTEXT, "contexts"),
          unseen(SEEN_NAME, "names"),
          unseen(SEEN_CLIENT, "clients"),
          `${unseen(SEEN_RULE, "words")} AND id NOT IN (${contextWords})`,
        ]
      ) deleted += Number(this.db.prepare(sql).run().changes);
      if (deleted > 0) this.#setMeta(SWEPT, (this.#meta(SWEPT) ?? 0) + 1);
      const { id } = this.db.prepare(`SELECT max(${last}) AS id`).get() as { id: number };
      this.#sweepFrom = id >= to ? to : -1;
      this.db.exec("COMMIT");
    } catch (error) {
      this.#sweepFrom = -1;
      this.#rollBack();
      throw error;
    }
    this.#forgetIfSwept();
  }

  /** Forgets the ids this writer remembers when a sweep (any writer's) may have deleted them. */
  #forgetIfSwept(): void {
    const swept = this.#meta(SWEPT) ?? 0;
    if (swept === this.#swept) return;
    this.#swept = swept;
    for (const dictionary of [this.#names, this.#answers, this.#words]) dictionary.forget();
    this.#clients.clear();
    this.#contexts.clear();
  }

  /**
   * Hours before this one are summed into their days' tops. A file from before kept days'
   * tops counted per batch, every hour it has: it starts after its newest hour.
   */
  #topsRolledTo(): number {
    const kept = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(TOPS_ROLLED) as
      | { value: number }
      | undefined;
    if (kept !== undefined) return kept.value;
    const newest = this.db.prepare("SELECT max(bucket) AS bucket FROM tops WHERE res = ?").get(
      HOUR,
    ) as { bucket: number | null };
    const to = newest.bucket === null ? 0 : newest.bucket + HOUR;
    this.#setMeta(TOPS_ROLLED, to);
    return to;
  }

  #setMeta(key: string, value: number): void {
    this.db.prepare(
      "INSERT INTO meta VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }

  #cutTops(now: number): void {
    this.#rollTops(now);
    const done = this.db.prepare("SELECT value FROM meta WHERE key = ?");
    const record = this.db.prepare(
      "INSERT INTO meta VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
    );
    for (const res of [HOUR, DAY]) {
      const key = `tops cut ${res}`;
      const since = (done.get(key) as { value: number } | undefined)?.value ?? 0;
      const finished = now - now % res;
      const buckets = this.db.prepare(
        "SELECT DISTINCT bucket FROM tops WHERE res = ? AND bucket >= ? AND bucket < ?",
      ).all(res, since, finished) as { bucket: number }[];
      // Plain `?` parameters, each given: numbered ones used twice fail on older Denos' sqlite.
      const cut = this.db.prepare(
        `DELETE FROM tops WHERE res = ? AND kind = ? AND bucket = ? AND key NOT IN
          (SELECT key FROM tops WHERE res = ? AND kind = ? AND bucket = ?
           ORDER BY n DESC LIMIT ?)`,
      );
      for (const { bucket } of buckets) {
        for (const kind of ["n", "b", "c"]) {
          cut.run(res, kind, bucket, res, kind, bucket, TOPS_KEPT);
        }
      }
      record.run(key, finished);
    }
  }

  /** Stored queries (for the benchmark and tests). */
  count(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM queries").get() as { n: number }).n;
  }
}

/** Converting a file an older version wrote failed: the file is as it was. */
export class ConversionError extends Error {
  constructor(cause: unknown) {
    const why = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0];
    super(`converting it from an older version failed: ${why}`, { cause });
    this.name = "ConversionError";
  }
}

/** A dictionary table: each text stored once, known by its id. */
class Dictionary {
  #cache = new Map<string, number>();
  #insert: StatementSync;
  #select: StatementSync;

  constructor(db: DatabaseSync, table: string) {
    this.#insert = db.prepare(`INSERT INTO ${table} (text) VALUES (?) ON CONFLICT DO NOTHING`);
    this.#select = db.prepare(`SELECT id FROM ${table} WHERE text = ?`);
  }

  /** The id of `text`, adding it when new. */
  id(text: string): number {
    const known = this.#cache.get(text);
    if (known !== undefined) return known;
    this.#insert.run(text);
    const id = this.find(text)!;
    if (this.#cache.size >= DICTIONARY_CACHE) this.#cache.clear();
    this.#cache.set(text, id);
    return id;
  }

  /** Forgets the ids it remembers (a sweep may have deleted them). */
  forget(): void {
    this.#cache.clear();
  }

  /** The id of `text`, undefined when it was never stored. */
  find(text: string): number | undefined {
    return (this.#select.get(text) as { id: number } | undefined)?.id;
  }
}

/**
 * The answers table: each text stored once a day, known by its id. The ids of one day are
 * remembered: the newest asked for, or any but the day before it (a clock set back); a row
 * logged late for the day before is looked up in the table.
 */
class AnswerDictionary {
  #day = -Infinity;
  #cache = new Map<string, number>();
  #insert: StatementSync;
  #select: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      "INSERT INTO answers (day, text) VALUES (?, ?) ON CONFLICT DO NOTHING",
    );
    this.#select = db.prepare("SELECT id FROM answers WHERE day = ? AND text = ?");
  }

  /** The id of `text` on `day` (days since 1970), adding it when new. */
  id(day: number, text: string): number {
    if (day > this.#day || day < this.#day - 1) {
      this.#day = day;
      this.#cache.clear();
    }
    const remembered = day === this.#day;
    const known = remembered ? this.#cache.get(text) : undefined;
    if (known !== undefined) return known;
    this.#insert.run(day, text);
    const { id } = this.#select.get(day, text) as { id: number };
    if (!remembered) return id;
    if (this.#cache.size >= DICTIONARY_CACHE) this.#cache.clear();
    this.#cache.set(text, id);
    return id;
  }

  /** Forgets the ids it remembers (retention may have deleted them). */
  forget(): void {
    this.#cache.clear();
  }
}

/** Whether the rows at `at` and `before` in a batch's ints have the same context fields. */
function sameContext(ints: Int32Array, at: number, before: number): boolean {
  for (let i = 0; i < CONTEXT_FIELDS.length; i++) {
    if (ints[at + CONTEXT_FIELDS[i]] !== ints[before + CONTEXT_FIELDS[i]]) return false;
  }
  return true;
}

/** Whether the context fields of the row at `at` are those at `from` in `fields`. */
function sameFields(
  ints: Int32Array,
  at: number,
  fields: ArrayLike<number>,
  from: number,
): boolean {
  for (let i = 0; i < CONTEXT_FIELDS.length; i++) {
    if (ints[at + CONTEXT_FIELDS[i]] !== fields[from + i]) return false;
  }
  return true;
}

function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
