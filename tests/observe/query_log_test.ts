import assert from "node:assert/strict";
import { createLineWriter } from "../../observe/line_writer.ts";
import { ANSWER_KEPT_BYTES, ANSWERS_KEPT, createQueryLog } from "../../observe/query_log.ts";
import { RType } from "../../dns/mod.ts";
import { clientPrivacy } from "../../observe/client_privacy.ts";
import { Metrics } from "../../observe/metrics.ts";
import { QueryStats } from "../../observe/stats.ts";
import type { ClientLogMode } from "../../observe/client_privacy.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";
import { MemoryBlocklist } from "../../blocklist/memory_blocklist.ts";
import { blocklistStage } from "../../blocklist/stage.ts";
import { AnswerMemo } from "../../pipeline/answer_memo.ts";
import { guardStage } from "../../pipeline/guard.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { sample } from "../support/prometheus.ts";
import { directoryByAddress, profileOf } from "../support/small_directory.ts";

const entry = (n: number) => ({
  time: n,
  client: "",
  door: "doh" as const,
  name: `n${n}`,
  type: 1,
});

/** A sink that keeps every write, async or not, as text. */
function recordingSink(writes: string[]) {
  const decoder = new TextDecoder();
  return {
    write: (bytes: Uint8Array) => {
      writes.push(decoder.decode(bytes));
      return Promise.resolve(bytes.length);
    },
    writeSync: (bytes: Uint8Array) => {
      writes.push(decoder.decode(bytes));
      return bytes.length;
    },
  };
}

Deno.test("the query log ring keeps the newest entries, oldest first", () => {
  const log = createQueryLog({ toStdout: false, capacity: 3 });
  for (let n = 1; n <= 5; n++) log.write(entry(n));
  assert.deepEqual(log.recent().map((e) => e.name), ["n3", "n4", "n5"]);
});

Deno.test("the query log prints JSON lines with the type by name and an ISO time", () => {
  const written: string[] = [];
  const print = createLineWriter({
    write: (bytes) => Promise.resolve(bytes.length),
    writeSync: (bytes) => (written.push(new TextDecoder().decode(bytes)), bytes.length),
  });
  const log = createQueryLog({ toStdout: true, capacity: 0, print });
  log.write(entry(0));
  log.flush();
  const lines = written.join("").split("\n");
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "1970-01-01T00:00:00.000Z",
    client: "",
    door: "doh",
    name: "n0",
    type: "A",
  });
  assert.deepEqual(log.recent(), []);
});

Deno.test("the line writer batches lines into few writes, bounds its buffer and flushes at the end", async () => {
  const writes: string[] = [];
  const sink = recordingSink(writes);
  const writer = createLineWriter(sink, { maxBufferedBytes: 100, flushAfterMs: 5 });
  for (let i = 0; i < 5; i++) writer.write(`line ${i}`);
  assert.equal(writes.length, 0, "nothing is written before the batch is due");
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(writes, ["line 0\nline 1\nline 2\nline 3\nline 4\n"]);
  for (let i = 0; i < 30; i++) writer.write(`overflowing line ${i}`);
  writer.flush();
  const last = writes.at(-1)!.trim().split("\n");
  assert.ok(last.length < 30, "lines beyond the bound are dropped");
  assert.match(last.at(-1)!, /"warning":"\d+ log lines dropped: stdout too slow"/);
  await new Promise((resolve) => setTimeout(resolve, 10));
});

Deno.test("the line writer writes a full batch at once, not waiting for its timer", async () => {
  const writes: number[] = [];
  const sink = {
    write: (bytes: Uint8Array) => {
      writes.push(bytes.length);
      return Promise.resolve(bytes.length);
    },
    writeSync: (bytes: Uint8Array) => bytes.length,
  };
  const writer = createLineWriter(sink, { flushAfterMs: 60_000, flushAtBytes: 50 });
  for (let i = 0; i < 10; i++) writer.write("0123456789");
  await Promise.resolve();
  assert.ok(writes.length >= 1, "a full batch is written without waiting");
  assert.ok(writes.length < 10, "lines are batched");
  writer.flush();
});

Deno.test("with a write limit the line writer cuts its writes at line ends, a long line alone", () => {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  const sink = {
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
    writeSync: (bytes: Uint8Array) => {
      writes.push(decoder.decode(bytes));
      return bytes.length;
    },
  };
  const writer = createLineWriter(sink, { maxBufferedBytes: 1000, maxWriteBytes: 25 });
  for (const line of ["a".repeat(9), "b".repeat(9), "c".repeat(40), "d".repeat(9)]) {
    writer.write(line);
  }
  writer.flush();
  assert.deepEqual(writes, [
    `${"a".repeat(9)}\n${"b".repeat(9)}\n`,
    `${"c".repeat(40)}\n`,
    `${"d".repeat(9)}\n`,
  ]);
});

Deno.test("lines written into the batch come out whole, batch after batch, within the bound", async () => {
  const writes: string[] = [];
  const sink = recordingSink(writes);
  const writer = createLineWriter(sink, { maxBufferedBytes: 200, flushAtBytes: 40 });
  const line = (text: string, batch: Uint8Array, at: number) => {
    for (let i = 0; i < text.length; i++) batch[at++] = text.charCodeAt(i);
    return at;
  };
  for (let i = 0; i < 30; i++) {
    writer.writeBytes(20, line, `line ${String(i).padStart(2, "0")}`);
    await Promise.resolve();
  }
  writer.writeBytes(500, line, "too long for the bound");
  writer.flush();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const lines = writes.join("").trim().split("\n");
  assert.deepEqual(
    lines.filter((l) => l.startsWith("line")),
    Array.from({ length: 30 }, (_, i) => `line ${String(i).padStart(2, "0")}`),
  );
  assert.ok(writes.length > 2, "written in several batches");
  assert.match(lines.at(-1)!, /"warning":"1 log lines dropped/);
});

Deno.test("the log keeps the answers of its newest entries, in a bounded arena", () => {
  const log = createQueryLog({ toStdout: false, capacity: 1000 });
  const entries = Array.from({ length: ANSWERS_KEPT + 10 }, (_, i) => ({
    time: i,
    client: "192.0.2.1",
    door: "doh" as const,
    name: `n${i}.example`,
    type: RType.A,
  }));
  entries.forEach((entry, i) => log.write(entry, new Uint8Array([i, i + 1, i + 2])));
  assert.equal(log.answerOf(entries[0]), undefined, "older than the newest ANSWERS_KEPT");
  assert.equal(log.answerOf(entries[9]), undefined);
  assert.deepEqual(log.answerOf(entries[10]), new Uint8Array([10, 11, 12]));
  const last = entries[entries.length - 1];
  const kept = log.answerOf(last)!;
  assert.deepEqual(kept, new Uint8Array([73, 74, 75]));
  kept[0] = 0;
  assert.equal(log.answerOf(last)![0], 73, "a copy: the arena is not the caller's");
  const big = { ...last, name: "big.example" };
  log.write(big, new Uint8Array(ANSWER_KEPT_BYTES + 1));
  assert.equal(log.answerOf(big), undefined, "too large to keep");
  assert.equal(log.recent().at(-1), big, "still logged");
});

/**
 * A household behind the real resolver: the kids' tablet (its profile hashes the client), the
 * guest phone (its profile logs nothing), the parents' laptop (its profile logs the address),
 * and everyone else under the default profile, which follows LOG_CLIENT.
 */
async function household(logClient: ClientLogMode) {
  const written: string[] = [];
  const print = createLineWriter({
    write: (bytes) => Promise.resolve(bytes.length),
    writeSync: (bytes) => (written.push(new TextDecoder().decode(bytes)), bytes.length),
  });
  const stats = new QueryStats();
  const metrics = new Metrics();
  const streamed: QueryLogEntry[] = [];
  const client = await clientPrivacy(logClient, "household-key");
  await client.pseudonyms.load();
  const log = createQueryLog({
    toStdout: true,
    capacity: 100,
    print,
    client,
    observers: [(e) => stats.record(e), (e) => metrics.record(e)],
    stream: { write: (e) => void streamed.push(e) },
  });
  const directory = directoryByAddress({
    "192.0.2.1": { profile: profileOf("kids", { log: "hash" }), name: "Kids tablet" },
    "192.0.2.2": { profile: profileOf("guest", { log: "off" }), name: "Guest phone" },
    "192.0.2.3": { profile: profileOf("parents", { log: "address" }), name: "Laptop" },
  });
  const resolver = localResolver({ "www.example": ["192.0.2.80"] }, { log, directory });
  const ask = async (address: string, name = "www.example") =>
    await resolver.resolve(makeQuery(name, RType.A), { address, door: "udp" });
  const lines = () => {
    log.flush();
    return written.join("").trim().split("\n").map((line) => JSON.parse(line));
  };
  return { ask, lines, log, stats, metrics, streamed, pseudonym: client.pseudonyms };
}

Deno.test("each profile's log mode decides what its lines keep of the client", async () => {
  const { ask, lines, log, streamed, pseudonym } = await household("address");
  await ask("192.0.2.1");
  await ask("192.0.2.3");
  await ask("192.0.2.9");
  const [kids, parents, stranger] = lines();
  assert.equal(kids.client, pseudonym.of("192.0.2.1"));
  assert.match(kids.client, /^[0-9a-f]{16}$/);
  assert.equal(kids.clientName, "Kids tablet", "the device's name stays");
  assert.equal(kids.profile, "kids");
  assert.equal(parents.client, "192.0.2.3");
  assert.equal(parents.clientName, "Laptop");
  assert.equal(stranger.client, "192.0.2.9", "LOG_CLIENT=address");
  assert.equal(stranger.profile, undefined, "the default profile goes unsaid");
  assert.ok(!JSON.stringify([log.recent(), streamed]).includes("192.0.2.1"));
  assert.equal(streamed.length, 3);
});

Deno.test("a profile's own log mode wins over LOG_CLIENT; without one LOG_CLIENT applies", async () => {
  const hashed = await household("hash");
  await hashed.ask("192.0.2.3");
  await hashed.ask("192.0.2.9");
  const [parents, stranger] = hashed.lines();
  assert.equal(parents.client, "192.0.2.3", "the parents' profile logs the address");
  assert.equal(stranger.client, hashed.pseudonym.of("192.0.2.9"));
  const off = await household("off");
  await off.ask("192.0.2.1");
  await off.ask("192.0.2.3");
  const [kids, laptop] = off.lines();
  assert.match(kids.client, /^[0-9a-f]{16}$/, "the kids' profile hashes, whatever LOG_CLIENT says");
  assert.equal(laptop.client, "192.0.2.3");
  await off.ask("192.0.2.9");
  const stranger2 = off.lines().at(-1);
  assert.equal(stranger2.client, "");
  assert.equal(stranger2.clientName, undefined);
});

Deno.test("a profile that logs nothing leaves no line, ring entry or stream entry, and still counts", async () => {
  const { ask, lines, log, stats, metrics, streamed } = await household("address");
  await ask("192.0.2.2", "secret.example");
  await ask("192.0.2.2", "www.example");
  await ask("192.0.2.3");
  assert.deepEqual(lines().map((line) => line.clientName), ["Laptop"]);
  assert.deepEqual(log.recent().map((entry) => entry.clientName), ["Laptop"]);
  assert.deepEqual(streamed.map((entry) => entry.clientName), ["Laptop"]);
  const snapshot = stats.snapshot();
  assert.equal(snapshot.lastHour.total, 3, "every query counts");
  assert.deepEqual(snapshot.topNames, [["www.example", 1]], "the guest's names are not kept");
  const { text } = await metrics.expose();
  assert.equal(
    sample(text, "dns_queries_total", {
      door: "udp",
      type: "A",
      source: "upstream",
      rcode: "NOERROR",
    }),
    2,
  );
  assert.ok(!text.includes("secret.example"));
});

Deno.test("a profile that hashes is never logged with its address, even before node:crypto loads", async () => {
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const directory = directoryByAddress({
    "192.0.2.1": { profile: profileOf("kids", { log: "hash" }), name: "Kids tablet" },
  });
  const resolver = localResolver({ "www.example": ["192.0.2.80"] }, { log, directory });
  for (let i = 0; i < 3; i++) {
    await resolver.resolve(makeQuery("www.example", RType.A), {
      address: "192.0.2.1",
      door: "udp",
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const clients = log.recent().map((entry) => entry.client);
  assert.ok(clients.every((client) => client !== "192.0.2.1"), clients.join());
  assert.match(clients.at(-1)!, /^[0-9a-f]{16}$/, "a pseudonym once it has loaded");
});

Deno.test("a repeated DoH request is logged as its profile says, as the first one was", async () => {
  const blocklist = new MemoryBlocklist({ custom: { block: ["ads.example"] } });
  const memo = new AnswerMemo();
  memo.dependOn(blocklist);
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const kids = { profile: profileOf("kids", { log: "hash" }), name: "Kids tablet" };
  const guest = { profile: profileOf("guest", { log: "off" }), name: "Guest phone" };
  const directory = directoryByAddress({ "192.0.2.1": kids, "192.0.2.2": guest });
  const stage = blocklistStage({
    blocklist,
    answer: { response: "nxdomain", ttl: 60 },
    failMode: "open",
  });
  const resolver = new Resolver({
    stages: [guardStage, stage],
    queryTimeoutMs: 1000,
    log,
    memo,
    directory,
  });
  const raw = makeQuery("ads.example", RType.A, { id: 0 });
  for (const address of ["192.0.2.1", "192.0.2.2"]) {
    const client = { address, door: "doh", method: "GET" } as const;
    const key = `https://gateway.test/dns-query?from=${address}`;
    for (let i = 0; i < 2; i++) await resolver.resolve(raw, client, undefined, key);
    assert.ok(resolver.repeat(key, client), "remembered, and repeated");
  }
  const entries = log.recent();
  assert.deepEqual(entries.map((entry) => entry.clientName), Array(3).fill("Kids tablet"));
  assert.ok(entries.every((entry) => entry.client !== "192.0.2.1"), "hashed, the repeat too");
});

Deno.test("at shutdown a batch still being written goes out before the last lines, none lost", async () => {
  // stdout slow to take a batch (a pipe another process reads late), as at a worker's exit.
  const written: string[] = [];
  const waiting: (() => void)[] = [];
  const sink = {
    write: (bytes: Uint8Array) =>
      new Promise<number>((resolve) => {
        waiting.push(() => {
          written.push(new TextDecoder().decode(bytes));
          resolve(bytes.length);
        });
      }),
    writeSync: (bytes: Uint8Array) => {
      written.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  };
  const writer = createLineWriter(sink, { flushAfterMs: 1, flushAtBytes: 64 });
  for (let i = 0; i < 10; i++) writer.write(`early line ${i}`);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(written.length, 0, "a batch is on its way, not yet written");
  for (let i = 0; i < 3; i++) writer.write(`late line ${i}`);
  const slowly = setInterval(() => waiting.splice(0).forEach((release) => release()), 5);
  try {
    await writer.settled();
  } finally {
    clearInterval(slowly);
  }
  writer.flush();
  const lines = written.join("").trim().split("\n");
  assert.equal(lines.length, 13, "every line");
  assert.deepEqual(lines.slice(-3), ["late line 0", "late line 1", "late line 2"], "in order");
});
