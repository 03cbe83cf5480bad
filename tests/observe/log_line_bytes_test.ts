/** The query log's byte lines are what JSON.stringify writes of the entry, within their bound. */
import assert from "node:assert/strict";
import { encodeEntry, entryLineBound } from "../../observe/log_line_bytes.ts";
import { typeName } from "../../dns/mod.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";

const TRICKY = [
  "",
  "www.example.com",
  "a\\.b.example",
  'quote"d',
  "tab\there",
  "nul\u0000\u001f\u007f",
  "café.example",
  "emoji-\u{1F600}",
  "lone-\ud800-surrogate",
  "2001:db8::1",
  "x".repeat(300),
];

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)];
}

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

function randomEntry(random: () => number): QueryLogEntry {
  const maybe = <T>(value: T) => random() < 0.5 ? value : undefined;
  return {
    time: pick(random, [0, 1_796_000_000_000, 1_796_000_000_123 + Math.floor(random() * 1e6)]),
    client: pick(random, TRICKY),
    clientName: maybe(pick(random, TRICKY)),
    profile: maybe(pick(random, ["default", "kids", "x".repeat(63)])),
    door: pick(random, ["doh", "json", "udp", "tcp", "dot"] as const),
    method: maybe(pick(random, ["GET", "POST"] as const)),
    name: pick(random, TRICKY),
    type: pick(random, [1, 28, 65, 255, 65280]),
    source: maybe(pick(random, ["cache", "upstream", "blocked", "guard"] as const)),
    rule: maybe(pick(random, TRICKY)),
    upstream: maybe(pick(random, TRICKY)),
    rcode: maybe(pick(random, [0, 2, 3, 9, 10, 23])),
    durationMs: maybe(pick(random, [0, 7, 10, 1234, 1.5, -1])),
    error: maybe(pick(random, TRICKY)),
  };
}

/** The line JSON.stringify makes of the entry, keys in the log's order, unset ones left out. */
function reference(entry: QueryLogEntry): string {
  return JSON.stringify({
    time: new Date(entry.time).toISOString(),
    client: entry.client,
    clientName: entry.clientName,
    profile: entry.profile === "default" ? undefined : entry.profile,
    door: entry.door,
    method: entry.method,
    name: entry.name,
    type: typeName(entry.type),
    source: entry.source,
    rule: entry.rule,
    upstream: entry.upstream,
    rcode: entry.rcode,
    durationMs: entry.durationMs,
    error: entry.error,
  });
}

Deno.test("byte lines are JSON.stringify's for 5,000 entries with awkward strings", () => {
  const random = generator(8484);
  const decoder = new TextDecoder();
  const out = new Uint8Array(1 << 16);
  for (let i = 0; i < 5000; i++) {
    const entry = randomEntry(random);
    const at = Math.floor(random() * 100);
    const end = encodeEntry(entry, out, at);
    assert.equal(decoder.decode(out.subarray(at, end)), reference(entry), JSON.stringify(entry));
    assert.ok(end - at <= entryLineBound(entry), `line of ${end - at} bytes over its bound`);
  }
});

Deno.test("a byte line is JSON a log shipper reads back", () => {
  const entry: QueryLogEntry = {
    time: 0,
    client: "192.0.2.7",
    door: "doh",
    method: "GET",
    name: "cached.example",
    type: 1,
    source: "cache",
    rcode: 0,
    durationMs: 0,
  };
  const out = new Uint8Array(512);
  const line = new TextDecoder().decode(out.subarray(0, encodeEntry(entry, out, 0)));
  assert.deepEqual(JSON.parse(line), { ...entry, time: "1970-01-01T00:00:00.000Z", type: "A" });
});

Deno.test("a line names the client's name and its profile, and leaves the default profile unsaid", () => {
  const out = new Uint8Array(512);
  const line = (entry: QueryLogEntry) =>
    new TextDecoder().decode(out.subarray(0, encodeEntry(entry, out, 0)));
  const entry: QueryLogEntry = {
    time: 0,
    client: "192.0.2.7",
    door: "doh",
    name: "www.example",
    type: 1,
    profile: "default",
  };
  assert.equal(
    line(entry),
    '{"time":"1970-01-01T00:00:00.000Z","client":"192.0.2.7","door":"doh","name":"www.example","type":"A"}',
    "as short as a line without profiles",
  );
  assert.equal(
    line({ ...entry, profile: "kids", clientName: "Kids' tablet" }),
    '{"time":"1970-01-01T00:00:00.000Z","client":"192.0.2.7","clientName":"Kids\' tablet","profile":"kids","door":"doh","name":"www.example","type":"A"}',
  );
});
