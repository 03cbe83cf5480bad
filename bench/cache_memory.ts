/**
 * Memory per cached answer (`deno task bench:cache-memory`): fills the answer cache with
 * 100,000 answers of each of two shapes (one A record, as most lookups get; a CNAME and two A
 * records, as web lookups behind a CDN get) and prints the memory each entry takes (V8's heap
 * and the buffers outside it) next to the bytes the cache counts against CACHE_MAX_BYTES, so
 * that bound can be read as real memory: PASS when they are within 15 % of each other (exit
 * code 1 when not). env: CACHE_MEMORY_COUNT, answers per shape (default 100,000).
 */
import { AnswerCache } from "../cache/answer_cache.ts";
import { cacheKey } from "../cache/key.ts";
import { encodeReply, headOf, RClass, RType } from "../dns/mod.ts";
import type { ResourceRecord } from "../dns/mod.ts";
import { answerFromBytes } from "../pipeline/answer_builders.ts";
import { queryMessage } from "../tests/support/dns_query.ts";

const COUNT = Number(Deno.env.get("CACHE_MEMORY_COUNT") ?? 100_000);
const TOLERANCE = 0.15;

function memory(): number {
  // Twice: buffers found dead by a collection are freed by a sweep that runs after it, and
  // `external` counts them until the sweep is done, which the next collection waits for.
  // Read after one collection, the figure varied from run to run by a tenth of an entry's cost.
  // deno-lint-ignore no-explicit-any
  (globalThis as any).gc?.();
  // deno-lint-ignore no-explicit-any
  (globalThis as any).gc?.();
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}

const shapes: Record<string, (name: string, i: number) => ResourceRecord[]> = {
  "one A record": (name) => [
    { name, type: RType.A, class: RClass.IN, ttl: 300, data: { address: "192.0.2.1" } },
  ],
  "a CNAME and two A records": (name, i) => [
    {
      name,
      type: RType.CNAME,
      class: RClass.IN,
      ttl: 300,
      data: { target: `edge${i}.cdn.example.net` },
    },
    {
      name: `edge${i}.cdn.example.net`,
      type: RType.A,
      class: RClass.IN,
      ttl: 60,
      data: { address: "192.0.2.1" },
    },
    {
      name: `edge${i}.cdn.example.net`,
      type: RType.A,
      class: RClass.IN,
      ttl: 60,
      data: { address: "192.0.2.2" },
    },
  ],
};

/** Fills a cache with `count` answers of a shape; their wire bytes and the memory taken. */
function fill(records: (name: string, i: number) => ResourceRecord[], count: number) {
  const cache = new AnswerCache({ maxBytes: 2 ** 40 });
  let wire = 0;
  const before = memory();
  for (let i = 0; i < count; i++) {
    const name = `host${i}.example.com`;
    const query = queryMessage(name, RType.A, { edns: {} });
    const bytes = encodeReply(query, { answers: records(name, i) });
    wire += bytes.length;
    const ctx = { query, head: headOf(query), question: query.questions[0] };
    cache.store(cacheKey(ctx), ctx, answerFromBytes(bytes, "upstream"));
  }
  return { cache, wire, taken: memory() - before };
}

let failed = false;
for (const [shape, records] of Object.entries(shapes)) {
  // A first fill, dropped: what the first one leaves behind (compiled code, grown heap
  // spaces) is not the entries'.
  fill(records, COUNT);
  const { cache, wire, taken } = fill(records, COUNT);
  const perEntry = taken / COUNT;
  const accounted = cache.stats().bytes / COUNT;
  const ratio = perEntry / accounted;
  const pass = Math.abs(ratio - 1) <= TOLERANCE;
  failed ||= !pass;
  console.log(
    `${shape} (${Math.round(wire / COUNT)} wire bytes): memory per entry ${
      perEntry.toFixed(0)
    } B, ` +
      `counted against CACHE_MAX_BYTES ${accounted.toFixed(0)} B, ratio ${ratio.toFixed(2)} ` +
      `(${pass ? "PASS" : "FAIL"} within ${TOLERANCE * 100} %)`,
  );
}
if (failed) Deno.exitCode = 1;
