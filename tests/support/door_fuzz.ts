/**
 * Hostile inputs through every door of a running gateway, each outcome checked against what
 * the README promises: DoH 400 for a message that does not decode and 200 with a DNS answer
 * (the client's ID, QR set) otherwise; the JSON API 200 with JSON or 400 with `{"error"}` (414
 * for a URL too long); UDP an answer, FORMERR for an undecodable query, silence for what has no
 * header or is a response; TCP and DoT an answer, FORMERR, or the connection closed after the
 * answers already due. Anything else is a violation, kept with the input as hex.
 *
 * Used by the e2e test (a bounded share in `deno task test`) and by `deno task fuzz:doors`.
 */
import { decodeMessage, DnsWireError, Rcode } from "../../dns/mod.ts";
import { frame, FrameReader, writeAll } from "../../net/framing.ts";
import { dohFetch } from "./doh.ts";
import { hostileStream } from "./hostile_messages.ts";
import { hostileJsonRequest } from "./hostile_params.ts";
import { Random } from "./random_messages.ts";

export const DOORS = ["doh-get", "doh-post", "json", "udp", "tcp", "dot"] as const;
export type FuzzDoor = typeof DOORS[number];

/** Where the gateway listens, and how to trust its certificate. */
export interface FuzzTarget {
  /** Base URL of the HTTP door, e.g. https://localhost:8443 */
  url: string;
  http: Deno.HttpClient;
  udpPort: number;
  tcpPort: number;
  dotPort: number;
  /** PEM of the certificate the DoT door presents. */
  caCert: string;
}

export interface FuzzTally {
  door: FuzzDoor;
  sent: number;
  /** How many inputs had each outcome ("200 answer NOERROR", "400", "FORMERR", "silence"…). */
  outcomes: Record<string, number>;
  violations: number;
  /** The first few violations, with their inputs as hex. */
  examples: string[];
  ms: number;
}

/** The query budget of the gateway under test (QUERY_TIMEOUT_MS) and a second: no answer comes later. */
const ANSWER_WAIT_MS = 2000;
const EXAMPLES = 10;

class Tally {
  readonly result: FuzzTally;
  constructor(door: FuzzDoor) {
    this.result = { door, sent: 0, outcomes: {}, violations: 0, examples: [], ms: 0 };
  }
  ok(outcome: string): void {
    this.result.outcomes[outcome] = (this.result.outcomes[outcome] ?? 0) + 1;
  }
  bad(what: string, input: Uint8Array | string): void {
    this.ok(`VIOLATION ${what}`);
    this.result.violations++;
    if (this.result.examples.length < EXAMPLES) {
      const shown = typeof input === "string" ? input.slice(0, 300) : hex(input);
      this.result.examples.push(`${what}: ${shown}`);
    }
  }
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes.subarray(0, 300), (b) => b.toString(16).padStart(2, "0")).join("");

/** Whether the gateway's own decoder takes `input` (the line between 400/FORMERR and an answer). */
function decodes(input: Uint8Array): boolean {
  try {
    decodeMessage(input);
    return true;
  } catch (error) {
    if (error instanceof DnsWireError) return false;
    throw error;
  }
}

const RCODE_NAMES = new Map<number, string>(
  Object.entries(Rcode).map(([name, code]) => [code, name]),
);

/** "answer NOERROR" etc. for a proper reply to `query`, or the problem with it. */
function judgeAnswer(
  query: Uint8Array,
  reply: Uint8Array,
): { outcome: string } | { problem: string } {
  let message;
  try {
    message = decodeMessage(reply);
  } catch {
    return { problem: "reply does not decode" };
  }
  if (!message.header.response) return { problem: "reply without QR" };
  if (message.header.id !== ((query[0] << 8) | query[1])) {
    return { problem: "reply with another ID" };
  }
  const rcode = message.header.rcode;
  return { outcome: `answer ${RCODE_NAMES.get(rcode) ?? `rcode ${rcode}`}` };
}

/** The header-only FORMERR the doors send for a query that does not decode. */
function isFormerr(query: Uint8Array, reply: Uint8Array): boolean {
  return reply.length === 12 && reply[0] === query[0] && reply[1] === query[1] &&
    (reply[2] & 0x80) !== 0 && (reply[3] & 0xf) === Rcode.FORMERR &&
    reply.subarray(4).every((b) => b === 0);
}

/** A request that fails (reset, refused) is a violation too, not the end of the run. */
async function failsAsViolation(tally: Tally, request: () => Promise<void>): Promise<void> {
  try {
    await request();
  } catch (error) {
    tally.bad(`request failed: ${(error as Error).message}`.slice(0, 120), "");
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Sends `count` inputs through `door`; `seed` picks them (the same seed, the same inputs). */
export async function fuzzDoor(
  target: FuzzTarget,
  door: FuzzDoor,
  count: number,
  seed: number,
): Promise<FuzzTally> {
  const tally = new Tally(door);
  const started = performance.now();
  const next = hostileStream(seed);
  switch (door) {
    case "doh-get":
    case "doh-post":
      await pool(count, 32, () => failsAsViolation(tally, () => doh(target, door, next(), tally)));
      break;
    case "json": {
      const random = new Random(seed);
      await pool(
        count,
        32,
        () => failsAsViolation(tally, () => json(target, hostileJsonRequest(random), tally)),
      );
      break;
    }
    case "udp":
      await udp(target.udpPort, count, next, tally);
      break;
    case "tcp":
    case "dot":
      await stream(target, door, count, next, tally);
      break;
  }
  tally.result.sent = count;
  tally.result.ms = performance.now() - started;
  return tally.result;
}

async function doh(
  target: FuzzTarget,
  door: FuzzDoor,
  input: Uint8Array<ArrayBuffer>,
  tally: Tally,
) {
  const response = await dohFetch(target.url, input, {
    method: door === "doh-get" ? "GET" : "POST",
    client: target.http,
  });
  const body = new Uint8Array(await response.arrayBuffer());
  const answerable = input.length > 0 && decodes(input);
  if (response.status === 400 && !answerable) return tally.ok("400 undecodable");
  if (response.status !== 200 || !answerable) {
    return tally.bad(
      `HTTP ${response.status} for a${answerable ? "" : "n un"}decodable query`,
      input,
    );
  }
  if (response.headers.get("content-type") !== "application/dns-message") {
    return tally.bad("200 without application/dns-message", input);
  }
  const judged = judgeAnswer(input, body);
  if ("problem" in judged) return tally.bad(judged.problem, input);
  tally.ok(`200 ${judged.outcome}`);
}

async function json(target: FuzzTarget, request: { path: string; accept: boolean }, tally: Tally) {
  const response = await fetch(`${target.url}${request.path}`, {
    headers: request.accept ? { accept: "application/dns-json" } : {},
    client: target.http,
  });
  const body = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get("content-type") ?? "";
  if (response.status === 414 && request.path.length > 6000) return tally.ok("414");
  if (response.status === 200 && type === "application/dns-message") {
    return decodes(body)
      ? tally.ok("200 wire answer")
      : tally.bad("200 wire not DNS", request.path);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return tally.bad(`HTTP ${response.status} ${type} not JSON`, request.path);
  }
  const record = parsed as Record<string, unknown>;
  if (response.status === 400 && typeof record.error === "string") return tally.ok("400 {error}");
  if (response.status === 200 && typeof record.Status === "number") {
    return tally.ok(`200 Status ${RCODE_NAMES.get(record.Status) ?? record.Status}`);
  }
  tally.bad(`HTTP ${response.status} ${JSON.stringify(parsed).slice(0, 80)}`, request.path);
}

/** What the UDP door owes an input: nothing (no header, or a response), FORMERR, or an answer. */
function udpExpectation(input: Uint8Array): "silence" | "FORMERR" | "answer" {
  if (input.length < 12 || (input[2] & 0x80) !== 0) return "silence";
  return decodes(input) ? "answer" : "FORMERR";
}

interface Pending {
  input: Uint8Array;
  expect: "silence" | "FORMERR" | "answer";
  deadline: number;
  done: () => void;
}

/**
 * UDP, one socket, at most `window` answers owed at once (so no buffer on either side can
 * overflow and lose one). Every input gets its own ID while it is pending; an input owed
 * silence stays pending until the deadline, and any reply to it is a violation.
 */
async function udp(port: number, count: number, next: () => Uint8Array<ArrayBuffer>, tally: Tally) {
  const window = 64;
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const address = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const pending = new Map<number, Pending>();
  let owed = 0;
  let wake = () => {};
  const receiving = (async () => {
    for await (const [reply] of socket) {
      const id = reply.length >= 2 ? (reply[0] << 8) | reply[1] : -1;
      const entry = pending.get(id);
      if (entry === undefined) {
        tally.bad("reply to nothing pending", reply);
        continue;
      }
      pending.delete(id);
      entry.done();
      if (entry.expect === "silence") tally.bad("reply where silence is due", entry.input);
      else if (entry.expect === "FORMERR") {
        if (isFormerr(entry.input, reply)) tally.ok("FORMERR");
        else tally.bad("not FORMERR for an undecodable query", entry.input);
      } else {
        const judged = judgeAnswer(entry.input, reply);
        if ("problem" in judged) tally.bad(judged.problem, entry.input);
        else tally.ok(judged.outcome);
      }
    }
  })().catch(() => {/* closed */});
  const expire = setInterval(() => {
    const now = performance.now();
    for (const [id, entry] of pending) {
      if (entry.deadline > now) continue;
      pending.delete(id);
      entry.done();
      if (entry.expect === "silence") tally.ok("silence");
      else tally.bad(`no ${entry.expect} within ${ANSWER_WAIT_MS} ms`, entry.input);
    }
  }, 100);
  let id = 0;
  try {
    for (let i = 0; i < count; i++) {
      const input = next();
      const expect = udpExpectation(input);
      // Silence is owed by the door's first look at the header; a long wait proves it.
      const deadline = performance.now() + ANSWER_WAIT_MS;
      while (owed >= window || pending.size > 60_000) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      do id = (id + 1) & 0xffff; while (pending.has(id));
      if (input.length >= 2) {
        input[0] = id >> 8;
        input[1] = id & 0xff;
      }
      const counted = expect !== "silence";
      if (counted) owed++;
      const done = () => {
        if (counted) owed--;
        wake();
      };
      // An input too short to carry an ID cannot be told apart: it is owed silence anyway.
      if (input.length >= 2) pending.set(id, { input, expect, deadline, done });
      else tally.ok("silence");
      await socket.send(input, address);
    }
    while (pending.size > 0) await new Promise<void>((resolve) => (wake = resolve));
  } finally {
    clearInterval(expire);
    socket.close();
    await receiving;
  }
}

/** What a stream door owes an input: an answer, FORMERR, or the end of the connection. */
function streamExpectation(input: Uint8Array): "close" | "FORMERR" | "answer" {
  if (decodes(input)) return "answer";
  return input.length < 12 || (input[2] & 0x80) !== 0 ? "close" : "FORMERR";
}

/**
 * TCP or DoT: a few connections at once, each with up to 32 queries in flight, matched by ID.
 * An input owed the end of the connection goes last on its connection: everything sent before
 * it must be answered, then the server must close; the next inputs take a new connection.
 */
async function stream(
  target: FuzzTarget,
  door: "tcp" | "dot",
  count: number,
  next: () => Uint8Array<ArrayBuffer>,
  tally: Tally,
) {
  let taken = 0;
  const take = () => (taken < count ? (taken++, next()) : undefined);
  const connect = () =>
    door === "tcp"
      ? Deno.connect({ hostname: "127.0.0.1", port: target.tcpPort })
      : Deno.connectTls({
        hostname: "localhost",
        port: target.dotPort,
        caCerts: [target.caCert],
        alpnProtocols: ["dot"],
      });
  // A new DoT connection waits ~40 ms in its handshake (Nagle and delayed ACK: Deno.listenTls
  // cannot set TCP_NODELAY), so DoT keeps more of them going at once.
  const connections = door === "tcp" ? 8 : 32;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (taken < count) await oneConnection(await connect(), take, tally);
  }));
}

/**
 * Sends inputs on one connection until one is owed a close (or none are left). A connection
 * on which nothing happens for ANSWER_WAIT_MS while an answer or the close is due is given up,
 * and what was due counts as a violation.
 */
async function oneConnection(
  conn: Deno.Conn,
  take: () => Uint8Array<ArrayBuffer> | undefined,
  tally: Tally,
) {
  const window = 32;
  const pending = new Map<number, Uint8Array>();
  const reader = new FrameReader(conn);
  let closing: Uint8Array | undefined;
  let id = 0;
  let wake = () => {};
  let ended = false;
  let stalled = false;
  let progress = performance.now();
  const stop = () => {
    ended = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
    wake();
  };
  const watchdog = setInterval(() => {
    const due = pending.size > 0 || closing !== undefined;
    if (due && performance.now() - progress > ANSWER_WAIT_MS) {
      stalled = true;
      stop();
    }
  }, 100);
  const reading = (async () => {
    try {
      for (let reply = await reader.next(); reply !== null; reply = await reader.next()) {
        progress = performance.now();
        const replyId = reply.length >= 2 ? (reply[0] << 8) | reply[1] : -1;
        const input = pending.get(replyId);
        wake();
        if (input === undefined) {
          tally.bad("reply to nothing pending", reply);
          continue;
        }
        pending.delete(replyId);
        if (!decodes(input)) {
          if (isFormerr(input, reply)) tally.ok("FORMERR");
          else tally.bad("not FORMERR for an undecodable query", input);
          continue;
        }
        const judged = judgeAnswer(input, reply);
        if ("problem" in judged) tally.bad(judged.problem, input);
        else tally.ok(judged.outcome);
      }
    } catch {
      // closed by us, or reset: what was still due is judged below
    }
    ended = true;
    wake();
  })();
  try {
    while (!ended) {
      const input = take();
      if (input === undefined) break;
      if (streamExpectation(input) === "close") {
        closing = input;
        progress = performance.now();
        await writeAll(conn, frame(input)).catch(() => {});
        break;
      }
      while (pending.size >= window && !ended) await new Promise<void>((r) => (wake = r));
      do id = (id + 1) & 0xffff; while (pending.has(id));
      input[0] = id >> 8;
      input[1] = id & 0xff;
      if (pending.size === 0) progress = performance.now();
      pending.set(id, input);
      if (!(await writeAll(conn, frame(input)).then(() => true, () => false))) break;
    }
    if (closing === undefined) {
      while (pending.size > 0 && !ended) await new Promise<void>((r) => (wake = r));
      stop();
    }
    await reading;
  } finally {
    clearInterval(watchdog);
    stop();
  }
  for (const input of pending.values()) tally.bad("connection ended before its answer", input);
  if (closing !== undefined) {
    if (stalled) tally.bad("connection left open after a frame without a header", closing);
    else tally.ok("closed");
  }
}
