import assert from "node:assert/strict";
import { RType, scanRecords, setId, setTtlAt } from "../../dns/mod.ts";
import { ANSWERS_KEPT, ANSWERS_KEPT_BYTES, AnswerTexts } from "../../observe/answer_texts.ts";
import { packBatch, unpackBatch } from "../../observe/history_batch.ts";
import { answerText } from "../../observe/recent_queries.ts";
import type { QueryLogEntry } from "../../pipeline/types.ts";
import { addressAnswer } from "../support/dns_query.ts";

/** A batch of one row per answer, as the worker is given it. */
function batchOf(answers: (Uint8Array | undefined)[]) {
  const entries: QueryLogEntry[] = answers.map((_, i) => ({
    time: Date.UTC(2026, 0, 10) + i,
    client: "192.0.2.1",
    door: "udp",
    name: "a.example",
    type: RType.A,
  }));
  return unpackBatch(packBatch(entries, answers));
}

/** Texts made through a decoder that remembers what it decoded. */
function counted() {
  const decoded: string[] = [];
  const texts = new AnswerTexts((answer) => {
    const text = answerText(answer);
    decoded.push(text);
    return text;
  });
  return { texts, decoded };
}

/** `answer` as a cache hands it out later: another ID, every TTL aged to `ttl`. */
function aged(answer: Uint8Array, id: number, ttl: number): Uint8Array {
  const copy = setId(answer.slice(), id);
  for (const at of scanRecords(copy).ttlOffsets) setTtlAt(copy, at, ttl);
  return copy;
}

Deno.test("an answer is decoded once, however it comes again: another ID, aged TTLs, a later batch", () => {
  const { texts, decoded } = counted();
  const a = addressAnswer("a.example", ["192.0.2.1"], { id: 1 });
  const b = addressAnswer("b.example", ["192.0.2.2"]);
  const first = texts.of(batchOf([a, aged(a, 7, 300), b, undefined]));
  assert.deepEqual(first.texts, ["A 192.0.2.1", "A 192.0.2.2"]);
  assert.deepEqual([...first.ofRow], [0, 0, 1, -1]);
  const second = texts.of(batchOf([aged(a, 2, 299), b]));
  assert.deepEqual(second.texts, ["A 192.0.2.1", "A 192.0.2.2"]);
  assert.deepEqual([...second.ofRow], [0, 1]);
  assert.deepEqual(decoded, ["A 192.0.2.1", "A 192.0.2.2"], "each decoded once");
  // Another address is another answer, and bytes that are not a message are decoded as such.
  const third = texts.of(batchOf([addressAnswer("a.example", ["192.0.2.9"]), Uint8Array.of(1)]));
  assert.deepEqual(third.texts, ["A 192.0.2.9", "(not readable)"]);
});

Deno.test("the answers decoded lately are kept up to a bound, then forgotten", () => {
  const { texts, decoded } = counted();
  const many = Array.from(
    { length: ANSWERS_KEPT + 1 },
    (_, i) => addressAnswer("a.example", [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`]),
  );
  texts.of(batchOf(many));
  assert.equal(decoded.length, ANSWERS_KEPT + 1);
  texts.of(batchOf([many[0]]));
  assert.equal(decoded.length, ANSWERS_KEPT + 2, "forgotten once more were kept than the bound");
});

Deno.test("large answers are kept up to a bound in bytes, far fewer of them than the count", () => {
  const { texts, decoded } = counted();
  // Answers of about 56 KiB (TCP and DoH carry up to 64 KiB): their words alone pass
  // ANSWERS_KEPT_BYTES long before ANSWERS_KEPT of them are kept.
  const big = (n: number) =>
    addressAnswer(
      `big${n}.example`,
      Array.from({ length: 3500 }, (_, i) => `10.${n & 255}.${i >> 8}.${i & 255}`),
    );
  const count = Math.ceil(ANSWERS_KEPT_BYTES / (3500 * 16)) + 20;
  assert.ok(count < ANSWERS_KEPT);
  for (let n = 0; n < count; n++) texts.of(batchOf([big(n)]));
  assert.equal(decoded.length, count);
  texts.of(batchOf([big(0)]));
  assert.equal(decoded.length, count + 1, "the first was forgotten: the bytes held are bounded");
});
