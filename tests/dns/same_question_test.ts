/**
 * A message's question is compared in its bytes (dns/view.ts `sameQuestion`, `hasQuestion`): it must say what the
 * plain way says, a `peekQuestion` of each message compared field by field (`isSameName` for
 * the names), for every byte, case, escape and compression pointer, and for damaged messages.
 */
import assert from "node:assert/strict";
import {
  hasQuestion,
  isSameName,
  peekQuestion,
  type Question,
  sameQuestion,
} from "../../dns/mod.ts";
import { WireReader } from "../../dns/reader.ts";
import { Random } from "../support/random_messages.ts";

/** A seeded generator (tests/support/random_messages.ts), so a failure can be run again. */
function random(seed: number): () => number {
  const generator = new Random(seed);
  return () => generator.next();
}

const PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";

/**
 * Labels mostly of plain characters, now and then any byte at all; mostly short, now and then
 * long enough for the name to pass 255 octets.
 */
function labels(next: () => number): number[][] {
  const long = next() < 0.1;
  const count = Math.floor(next() * (long ? 8 : 5));
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(next() * (long ? 63 : 12));
    return Array.from(
      { length },
      () =>
        next() < 0.05
          ? Math.floor(next() * 256)
          : PLAIN.charCodeAt(Math.floor(next() * PLAIN.length)),
    );
  });
}

/** The same labels with the case of some ASCII letters turned. */
function recased(parts: number[][], next: () => number): number[][] {
  return parts.map((label) =>
    label.map((byte) => {
      const letter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a;
      return letter && next() < 0.3 ? byte ^ 0x20 : byte;
    })
  );
}

/** A response header with one question, then the question, then maybe an answer's bytes. */
function message(parts: number[][], type: number, klass: number, next: () => number): Uint8Array {
  const name = [...parts.flatMap((label) => [label.length, ...label]), 0];
  const tail = next() < 0.5 ? [] : [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
  const answers = tail.length === 0 ? 0 : 1;
  return Uint8Array.from([
    ...[Math.floor(next() * 256), 7, 0x81, 0x80, 0, 1, 0, answers, 0, 0, 0, 0],
    ...name,
    type >> 8,
    type & 0xff,
    klass >> 8,
    klass & 0xff,
    ...tail,
  ]);
}

/** Now and then a byte changed, or the message cut short. */
function damaged(bytes: Uint8Array, next: () => number): Uint8Array {
  const roll = next();
  if (roll < 0.6) return bytes;
  if (roll < 0.8) return bytes.subarray(0, Math.floor(next() * bytes.length));
  const copy = bytes.slice();
  const special = [0xc0, 0xc1, 0x40, 0x80, 0x3f, 0x00, 0x05, 0xff];
  copy[Math.floor(next() * copy.length)] = next() < 0.5
    ? special[Math.floor(next() * special.length)]
    : Math.floor(next() * 256);
  return copy;
}

/** The question's name as the codec writes it; one too long to read stands for a name not in it. */
function textOf(bytes: Uint8Array, lower: boolean): string {
  const reader = new WireReader(bytes, 12);
  try {
    return lower ? reader.canonicalName() : reader.name();
  } catch {
    return "not.this.name";
  }
}

function plainQuestion(bytes: Uint8Array): Question | undefined {
  try {
    return peekQuestion(bytes).question;
  } catch {
    return undefined;
  }
}

function plainSame(a: Uint8Array, b: Uint8Array): boolean {
  const first = plainQuestion(a);
  const second = plainQuestion(b);
  return first !== undefined && second !== undefined && first.type === second.type &&
    first.class === second.class && isSameName(first.name, second.name);
}

function plainHas(bytes: Uint8Array, question: Question): boolean {
  const found = plainQuestion(bytes);
  return found !== undefined && found.type === question.type && found.class === question.class &&
    isSameName(found.name, question.name);
}

Deno.test("two messages' questions compare in their bytes as they do decoded", () => {
  const next = random(20261207);
  let same = 0;
  for (let round = 0; round < 20_000; round++) {
    const parts = labels(next);
    const other = next() < 0.7 ? recased(parts, next) : labels(next);
    const type = next() < 0.9 ? 1 : 28;
    const klass = next() < 0.95 ? 1 : 3;
    const a = damaged(message(parts, 1, 1, next), next);
    const b = damaged(message(other, type, klass, next), next);
    const expected = plainSame(a, b);
    assert.equal(sameQuestion(a, b), expected, `round ${round}: ${a} | ${b}`);
    assert.equal(sameQuestion(b, a), expected, `round ${round}, the other way`);
    if (expected) same++;
  }
  assert.ok(same > 5_000, `${same} rounds had the same question: the test must see both`);
});

Deno.test("a message's question compares with a question's text as it does decoded", () => {
  const next = random(4242);
  let same = 0;
  for (let round = 0; round < 20_000; round++) {
    const parts = labels(next);
    const bytes = damaged(message(parts, 1, 1, next), next);
    // The text as the codec writes it, in either case, sometimes with a final dot, or another.
    const written = message(next() < 0.8 ? recased(parts, next) : labels(next), 1, 1, next);
    let name = textOf(written, next() < 0.5);
    if (next() < 0.1) name += ".";
    const question = { name, type: next() < 0.9 ? 1 : 28, class: 1 };
    const expected = plainHas(bytes, question);
    assert.equal(hasQuestion(bytes, question), expected, `round ${round}: ${bytes} | ${name}`);
    if (expected) same++;
  }
  assert.ok(same > 5_000, `${same} rounds had the question: the test must see both`);
});

Deno.test("compression pointers in a question are followed as the reader follows them", () => {
  // The question's name points back into the header: legal for the reader, however odd.
  const header = [0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
  const pointing = Uint8Array.of(...header, 1, 0x61, 0xc0, 11, 0, 1, 0, 1);
  assert.equal(plainQuestion(pointing)?.name, "a");
  const plain = Uint8Array.of(...header, 1, 0x41, 0, 0, 1, 0, 1);
  assert.equal(sameQuestion(pointing, plain), true);
  assert.equal(hasQuestion(pointing, { name: "A", type: 1, class: 1 }), true);
  // A pointer forward, or to itself, is malformed: no question to compare.
  const forward = Uint8Array.of(...header, 0xc0, 14, 0, 0, 1, 0, 1);
  const itself = Uint8Array.of(...header, 0xc0, 12, 0, 1, 0, 1);
  // 256 octets: one too many.
  const long = [63, 63, 63, 63].flatMap((length) => [length, ...new Array(length).fill(0x61)]);
  const tooLong = Uint8Array.of(...header, ...long, 0, 0, 1, 0, 1);
  for (const bad of [forward, itself, tooLong]) {
    assert.equal(plainQuestion(bad), undefined);
    assert.equal(sameQuestion(bad, bad), false);
    assert.equal(hasQuestion(bad, { name: "", type: 1, class: 1 }), false);
  }
});

Deno.test("a question's text may end in a dot, but not in an escaped one", () => {
  const header = [0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
  // One label: "a" and a backslash, written a\\ as text.
  const backslash = Uint8Array.of(...header, 2, 0x61, 0x5c, 0, 0, 1, 0, 1);
  for (const name of ["a\\\\", "a\\\\.", "A\\\\", "a\\\\..", "a\\"]) {
    const question = { name, type: 1, class: 1 };
    assert.equal(hasQuestion(backslash, question), plainHas(backslash, question), name);
  }
  const root = Uint8Array.of(...header, 0, 0, 1, 0, 1);
  for (const name of ["", ".", ".."]) {
    const question = { name, type: 1, class: 1 };
    assert.equal(hasQuestion(root, question), plainHas(root, question), JSON.stringify(name));
  }
});
