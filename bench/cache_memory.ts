/**
 * Memory per cached answer (`deno task bench:cache-memory`): fills the answer cache with
 * 100,000 typical answers (a CNAME and two A records, as web lookups get) and prints the heap
 * growth per entry next to the bytes the cache accounts for, so CACHE_MAX_BYTES can be read
 * as real memory.
 */
import { AnswerCache } from "../cache/answer_cache.ts";
import { cacheKey } from "../cache/key.ts";
import { encodeReply, headOf, RClass, RType } from "../dns/mod.ts";
import { answerFromBytes } from "../pipeline/answer_builders.ts";
import { queryMessage } from "../tests/support/dns_query.ts";

const COUNT = 100_000;

function heap(): number {
  // deno-lint-ignore no-explicit-any
  (globalThis as any).gc?.();
  return Deno.memoryUsage().heapUsed;
}

const cache = new AnswerCache({ maxBytes: 2 ** 40 });
const before = heap();
for (let i = 0; i < COUNT; i++) {
  const name = `host${i}.example.com`;
  const query = queryMessage(name, RType.A, { edns: {} });
  const bytes = encodeReply(query, {
    answers: [
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
  });
  const ctx = { query, head: headOf(query), question: query.questions[0] };
  cache.store(cacheKey(ctx), ctx, answerFromBytes(bytes, "upstream"));
}
const after = heap();
const stats = cache.stats();
const perEntry = (after - before) / COUNT;
const accounted = stats.bytes / COUNT;
console.log(`${COUNT} answers of ~${Math.round(accounted - 384)} wire+key bytes each`);
console.log(
  `heap per entry: ${perEntry.toFixed(0)} B; accounted by CACHE_MAX_BYTES: ${
    accounted.toFixed(0)
  } B; ratio ${(perEntry / accounted).toFixed(2)}`,
);
