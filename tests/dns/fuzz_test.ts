/**
 * 120,000 hostile inputs through every decoder entry point: random bytes, and valid messages
 * mutated the ways attackers and broken middleboxes do (bit flips, truncation, lying counts,
 * compression pointers aimed forward, at themselves or anywhere, huge RDLENGTH). Nothing but
 * `DnsWireError` may escape, and whatever decodes must re-encode and decode to itself.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  DnsWireError,
  encodeMessage,
  type Message,
  peekQuestion,
  scanRecords,
  withoutOpt,
} from "../../dns/mod.ts";
import { Random, randomMessage } from "../support/random_messages.ts";

const RANDOM_INPUTS = 20_000;
const MUTATED_INPUTS = 100_000;

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Runs `fn`; a DnsWireError is an expected answer to bad input, anything else a failure. */
function expectOnlyWireErrors<T>(what: string, input: Uint8Array, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DnsWireError) {
      assert.ok(Number.isInteger(error.offset) && error.offset >= 0, `${what}: offset`);
      return undefined;
    }
    throw new Error(`${what} threw ${(error as Error)?.name}: ${error} on ${hex(input)}`, {
      cause: error,
    });
  }
}

/** Every entry point on one input; a decoded message must survive a re-encode round trip. */
function exercise(input: Uint8Array<ArrayBuffer>): boolean {
  expectOnlyWireErrors("peekQuestion", input, () => peekQuestion(input));
  expectOnlyWireErrors("scanRecords", input, () => scanRecords(input));
  const decoded = expectOnlyWireErrors("decodeMessage", input, () => decodeMessage(input));
  if (decoded === undefined) return false;
  expectOnlyWireErrors("withoutOpt", input, () => withoutOpt(input));
  const again = expectOnlyWireErrors("encodeMessage", input, () => encodeMessage(decoded));
  if (again !== undefined) {
    assert.deepEqual(decodeMessage(again), decoded, `re-encode changed ${hex(input)}`);
  }
  return true;
}

function mutate(random: Random, valid: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(valid);
  const rounds = 1 + random.int(3);
  let out: Uint8Array<ArrayBuffer> = bytes;
  for (let round = 0; round < rounds; round++) {
    switch (random.int(8)) {
      case 0: // flip a bit
        if (out.length) out[random.int(out.length)] ^= 1 << random.int(8);
        break;
      case 1: // replace a byte
        if (out.length) out[random.int(out.length)] = random.int(256);
        break;
      case 2: // truncate
        out = out.slice(0, random.int(out.length + 1));
        break;
      case 3: { // duplicate a slice into the middle
        const start = random.int(out.length + 1);
        const slice = out.slice(start, start + random.int(40));
        const at = random.int(out.length + 1);
        const grown = new Uint8Array(out.length + slice.length);
        grown.set(out.subarray(0, at));
        grown.set(slice, at);
        grown.set(out.subarray(at), at + slice.length);
        out = grown;
        break;
      }
      case 4: // a count that lies
        if (out.length >= 12) {
          const field = 4 + 2 * random.int(4);
          const value = random.pick([0, 1, 2, 255, 0xffff, random.int(0x10000)]);
          out[field] = value >> 8;
          out[field + 1] = value & 0xff;
        }
        break;
      case 5: { // a compression pointer: forward, to itself, or anywhere
        if (out.length < 14) break;
        const at = 12 + random.int(out.length - 13);
        const target = random.pick([at, at + 2, random.int(out.length + 10), 12, 0x3fff]);
        out[at] = 0xc0 | ((target >> 8) & 0x3f);
        out[at + 1] = target & 0xff;
        break;
      }
      case 6: { // a huge length byte or RDLENGTH-shaped field somewhere
        if (out.length < 2) break;
        const at = random.int(out.length - 1);
        out[at] = 0xff;
        out[at + 1] = random.int(256);
        break;
      }
      case 7: // a label length over 63 (reserved label types 0x40/0x80)
        if (out.length > 12) out[12 + random.int(out.length - 12)] = random.pick([0x40, 0x80, 64]);
        break;
    }
  }
  return out;
}

Deno.test(`${RANDOM_INPUTS} random byte strings: nothing but DnsWireError escapes`, () => {
  const random = new Random(0xf022_0001);
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    const length = random.bool(0.5) ? random.int(40) : random.int(600);
    const input = new Uint8Array(random.bytes(length));
    // Half of them get a plausible header, so decoding goes past the first bytes.
    if (input.length >= 12 && random.bool()) {
      input.set([0, 1, 0, random.int(2), 0, random.int(3), 0, random.int(3), 0, 0], 2);
    }
    exercise(input);
  }
});

Deno.test(`${MUTATED_INPUTS} mutated valid messages: nothing but DnsWireError escapes`, () => {
  const random = new Random(0xf022_0002);
  const seeds: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) seeds.push(encodeMessage(randomMessage(random)));
  let decoded = 0;
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    if (exercise(mutate(random, random.pick(seeds)))) decoded++;
  }
  // The mutations must leave enough decodable to reach the re-encode path (and not all).
  assert.ok(decoded > MUTATED_INPUTS * 0.05 && decoded < MUTATED_INPUTS * 0.95, `${decoded}`);
});

Deno.test("valid random messages round-trip through encode and decode", () => {
  const random = new Random(0xf022_0003);
  for (let i = 0; i < 2000; i++) {
    const message: Message = randomMessage(random);
    const decoded = decodeMessage(encodeMessage(message));
    assert.deepEqual(decoded.edns, message.edns);
    assert.deepEqual({ ...decoded, edns: undefined }, { ...message, edns: undefined });
  }
});
