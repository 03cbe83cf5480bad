/**
 * One TCP/DoT connection's loop against a scripted connection: frames arriving in pieces,
 * answers written as queries finish, the in-flight bound, the idle timeout and draining.
 */
import assert from "node:assert/strict";
import { type ConnectionOptions, StreamConnection } from "../../doors/stream_connection.ts";
import { frame, FrameReader } from "../../net/framing.ts";

/** A connection whose reads are fed by the test and whose writes are collected. */
function scriptedConn() {
  const chunks: Uint8Array[] = [];
  let waiting: (() => void) | undefined;
  let ended = false;
  let closed = false;
  const written: number[] = [];
  const conn = {
    async read(buffer: Uint8Array): Promise<number | null> {
      while (chunks.length === 0 && !ended && !closed) {
        await new Promise<void>((resolve) => (waiting = resolve));
      }
      if (closed) throw new Deno.errors.BadResource("closed");
      const chunk = chunks.shift();
      if (chunk === undefined) return null;
      const count = Math.min(buffer.length, chunk.length);
      buffer.set(chunk.subarray(0, count));
      if (count < chunk.length) chunks.unshift(chunk.subarray(count));
      return count;
    },
    write(bytes: Uint8Array): Promise<number> {
      if (closed) return Promise.reject(new Deno.errors.BadResource("closed"));
      // Take at most 3 bytes per write: callers must write the rest.
      const count = Math.min(3, bytes.length);
      written.push(...bytes.subarray(0, count));
      return Promise.resolve(count);
    },
    close() {
      closed = true;
      waiting?.();
    },
  };
  return {
    conn: conn as unknown as Deno.Conn,
    feed(bytes: Uint8Array) {
      chunks.push(bytes);
      waiting?.();
    },
    end() {
      ended = true;
      waiting?.();
    },
    isClosed: () => closed,
    /** The messages written so far, unframed. */
    async messages(): Promise<string[]> {
      const reader = new FrameReader({ read: readFrom(new Uint8Array(written)) });
      const out: string[] = [];
      for (let m = await reader.next(); m !== null; m = await reader.next()) {
        out.push(new TextDecoder().decode(m));
      }
      return out;
    },
  };
}

function readFrom(bytes: Uint8Array) {
  let offset = 0;
  return (buffer: Uint8Array) => {
    if (offset >= bytes.length) return Promise.resolve(null);
    const count = Math.min(buffer.length, bytes.length - offset);
    buffer.set(bytes.subarray(offset, offset + count));
    offset += count;
    return Promise.resolve(count);
  };
}

const text = (value: string) => new TextEncoder().encode(value);
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** Echoes each query back upper-cased, after `delay(query)` ms. */
const echo = (delay: (query: string) => number = () => 0) => (raw: Uint8Array) => {
  const query = new TextDecoder().decode(raw);
  return new Promise<Uint8Array>((resolve) =>
    setTimeout(() => resolve(text(query.toUpperCase())), delay(query))
  );
};

/** A connection with room for 10 queries and no idle timeout to speak of. */
const open = (
  script: ReturnType<typeof scriptedConn>,
  answer: ConnectionOptions["answer"] = echo(),
) => new StreamConnection(script.conn, { idleTimeoutMs: 5000, maxInFlight: 10, answer });

Deno.test("StreamConnection answers a query whose frame arrives one byte at a time", async () => {
  const script = scriptedConn();
  const connection = open(script);
  for (const byte of frame(text("hello"))) {
    script.feed(new Uint8Array([byte]));
    await tick();
  }
  script.end();
  await connection.done;
  assert.deepEqual(await script.messages(), ["HELLO"]);
  assert.ok(script.isClosed());
});

Deno.test("StreamConnection reads several frames from one chunk and a frame split across chunks", async () => {
  const script = scriptedConn();
  const connection = open(script);
  const all = new Uint8Array([
    ...frame(text("one")),
    ...frame(text("two")),
    ...frame(text("three")),
  ]);
  script.feed(all.subarray(0, 9)); // "one", "two" and one byte of the third length
  script.feed(all.subarray(9, 12));
  script.feed(all.subarray(12));
  script.end();
  await connection.done;
  assert.deepEqual((await script.messages()).sort(), ["ONE", "THREE", "TWO"]);
});

Deno.test("StreamConnection writes each answer as it is ready, not in query order", async () => {
  const script = scriptedConn();
  const connection = open(script, echo((query) => (query === "slow" ? 80 : 0)));
  script.feed(new Uint8Array([...frame(text("slow")), ...frame(text("fast"))]));
  script.end();
  await connection.done;
  assert.deepEqual(await script.messages(), ["FAST", "SLOW"]);
});

Deno.test("StreamConnection stops reading while maxInFlight queries are under way", async () => {
  const script = scriptedConn();
  let started = 0;
  const release: (() => void)[] = [];
  const connection = new StreamConnection(script.conn, {
    idleTimeoutMs: 5000,
    maxInFlight: 2,
    answer: (raw) => {
      started++;
      return new Promise((resolve) => release.push(() => resolve(raw)));
    },
  });
  script.feed(new Uint8Array([1, 2, 3, 4].flatMap((n) => [...frame(new Uint8Array([n]))])));
  await tick(20);
  assert.equal(started, 2, "two under way, the other two wait unread");
  release.shift()!();
  await tick(20);
  assert.equal(started, 3);
  script.end();
  while (release.length > 0 || started < 4) {
    release.shift()?.();
    await tick(5);
  }
  await connection.done;
  assert.equal(started, 4);
});

Deno.test("StreamConnection closes after the idle timeout, but not while a query is resolving", async () => {
  const idle = scriptedConn();
  const quiet = new StreamConnection(idle.conn, {
    idleTimeoutMs: 50,
    maxInFlight: 2,
    answer: echo(),
  });
  await quiet.done;
  assert.ok(idle.isClosed());

  const busy = scriptedConn();
  const slow = new StreamConnection(busy.conn, {
    idleTimeoutMs: 50,
    maxInFlight: 2,
    answer: echo(() => 150),
  });
  busy.feed(frame(text("late")));
  await tick(120);
  assert.ok(!busy.isClosed(), "a query still resolving keeps the connection");
  await slow.done;
  assert.deepEqual(await busy.messages(), ["LATE"]);
});

Deno.test("StreamConnection.drain() answers the queries already read, then closes", async () => {
  const script = scriptedConn();
  const connection = open(script, echo(() => 50));
  script.feed(new Uint8Array([...frame(text("a")), ...frame(text("b"))]));
  await tick(10);
  await connection.drain();
  assert.deepEqual((await script.messages()).sort(), ["A", "B"]);
  assert.ok(script.isClosed());
});

Deno.test("StreamConnection ends after a query it cannot answer, once earlier ones are answered", async () => {
  const script = scriptedConn();
  const answer = echo((query) => (query === "slow" ? 50 : 0));
  const connection = open(
    script,
    (raw) => raw.length === 0 ? Promise.resolve(undefined) : answer(raw),
  );
  script.feed(new Uint8Array([...frame(text("slow")), ...frame(new Uint8Array())]));
  await tick(10);
  script.feed(frame(text("after")));
  await connection.done;
  assert.deepEqual(await script.messages(), ["SLOW"]);
  assert.ok(script.isClosed());
});
