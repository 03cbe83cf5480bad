/**
 * 120,000 hostile inputs through every decoder entry point: random bytes, and valid messages
 * mutated the ways attackers and broken middleboxes do (tests/support/hostile_messages.ts:
 * bit flips, truncation, lying counts, compression pointers forward, to themselves and in
 * loops, oversize labels and names, huge lengths). Nothing but `DnsWireError` may escape
 * (DESIGN §4). Whatever decodes must re-encode to the same message, and the fast paths must
 * agree with the full decode.
 * A failure names the seed, the input's index and its bytes as hex.
 */
import assert from "node:assert/strict";
import {
  decodeMessage,
  DnsWireError,
  encodeMessage,
  headOf,
  type Message,
  peekQuery,
  peekQuestion,
  Rcode,
  RType,
  scanRecords,
  type SoaData,
  withoutOpt,
} from "../../dns/mod.ts";
import { mutate, randomInput } from "../support/hostile_messages.ts";
import { ALL_TYPES, Random, randomMessage, withRandomCase } from "../support/random_messages.ts";

const RANDOM_INPUTS = 20_000;
const MUTATED_INPUTS = 100_000;

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Runs `fn`; a DnsWireError is an answer to bad input (undefined), anything else a failure. */
function wireErrorOr<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DnsWireError) {
      assert.ok(Number.isInteger(error.offset) && error.offset >= 0, `${what}: offset`);
      return undefined;
    }
    throw new Error(`${what} threw ${(error as Error)?.name}: ${(error as Error)?.message}`, {
      cause: error,
    });
  }
}

/** The fast paths must see what the full decode saw. */
function checkFastPaths(input: Uint8Array<ArrayBuffer>, decoded: Message): void {
  const view = peekQuestion(input);
  assert.equal(view.id, decoded.header.id);
  assert.equal(view.rcode4, decoded.header.rcode & 0xf);
  // The fast paths read the question name in canonical form (lowercase): they feed keys.
  const question = decoded.questions[0];
  assert.deepEqual(view.question, question && { ...question, name: question.name.toLowerCase() });
  const scan = scanRecords(input);
  const records = [...decoded.answers, ...decoded.authorities, ...decoded.additionals];
  const ttls = records.map((r) => r.ttl);
  const data = new DataView(input.buffer, input.byteOffset, input.byteLength);
  assert.deepEqual(scan.ttlOffsets.map((at) => data.getUint32(at)), ttls);
  assert.equal(scan.minTtl, ttls.length ? Math.min(...ttls) : undefined);
  assert.equal(scan.rcode, decoded.header.rcode);
  assert.equal(scan.answerCount, decoded.answers.length);
  assert.equal(scan.opt?.udpSize, decoded.edns?.udpSize);
  const soa = decoded.authorities.find((r) => r.type === RType.SOA);
  const negative = decoded.answers.length === 0 && soa !== undefined
    ? Math.min(soa.ttl, (soa.data as SoaData).minimum)
    : undefined;
  assert.equal(scan.negativeTtl, negative);

  const stripped = wireErrorOr("withoutOpt", () => withoutOpt(input));
  assert.ok(stripped !== undefined, "withoutOpt refused a message decodeMessage accepted");
  if (decoded.edns === undefined) {
    assert.equal(stripped, input);
  } else {
    const { edns: _, ...rest } = decoded;
    const rcode = decoded.header.rcode > 0xf ? Rcode.SERVFAIL : decoded.header.rcode;
    assert.deepEqual(decodeMessage(stripped), { ...rest, header: { ...rest.header, rcode } });
  }
}

/** Every entry point on one input; returns whether it decoded. */
function exercise(input: Uint8Array<ArrayBuffer>): boolean {
  wireErrorOr("peekQuestion", () => peekQuestion(input));
  wireErrorOr("scanRecords", () => scanRecords(input));
  const peeked = wireErrorOr("peekQuery", () => ({ head: peekQuery(input) }));
  const head = peeked === undefined ? "refused" : peeked.head;
  const decoded = wireErrorOr("decodeMessage", () => decodeMessage(input));
  if (decoded === undefined) {
    // A head promises that the lazy full decode will not fail.
    assert.ok(head === "refused" || head === undefined, "peekQuery accepted a malformed message");
    return false;
  }
  if (head === "refused") assert.fail("peekQuery refused a message decodeMessage accepted");
  if (head !== undefined) assert.deepEqual(head, headOf(decoded));
  checkFastPaths(input, decoded);
  // Stricter than "only DnsWireError": inputs this small cannot reach the 65535-byte limit,
  // so a decoded message that fails to re-encode would be a codec bug (the gateway re-encodes
  // upstream answers, and would turn a valid one into SERVFAIL).
  const again = wireErrorOr("encodeMessage", () => encodeMessage(decoded));
  assert.ok(again !== undefined, "encodeMessage refused a message decodeMessage produced");
  assert.deepEqual(decodeMessage(again), decoded, "re-encoding changed the message");
  return true;
}

/** `exercise` with the seed, index and input in any failure's message. */
function exerciseOrExplain(seed: number, index: number, input: Uint8Array<ArrayBuffer>): boolean {
  try {
    return exercise(input);
  } catch (error) {
    const why = (error as Error)?.message ?? String(error);
    throw new Error(`seed 0x${seed.toString(16)}, input ${index} (${hex(input)}): ${why}`, {
      cause: error,
    });
  }
}

Deno.test(`${RANDOM_INPUTS} random byte strings (0-600 bytes): only DnsWireError escapes`, () => {
  const seed = 0xf022_0001;
  const random = new Random(seed);
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    exerciseOrExplain(seed, i, randomInput(random));
  }
});

Deno.test(`${MUTATED_INPUTS} mutated valid messages: only DnsWireError escapes`, () => {
  const seed = 0xf022_0002;
  const random = new Random(seed);
  const valid: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) {
    valid.push(encodeMessage(withRandomCase(random, randomMessage(random, ALL_TYPES))));
  }
  let decoded = 0;
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    if (exerciseOrExplain(seed, i, mutate(random, random.pick(valid)))) decoded++;
  }
  // The mutations must leave enough decodable to reach the re-encode path (and not all).
  assert.ok(decoded > MUTATED_INPUTS * 0.05 && decoded < MUTATED_INPUTS * 0.95, `${decoded}`);
});

Deno.test("the fuzz seeds themselves decode, pass the fast-path checks and re-encode", () => {
  const seed = 0xf022_0003;
  const random = new Random(seed);
  for (let i = 0; i < 2000; i++) {
    const message = withRandomCase(random, randomMessage(random, ALL_TYPES));
    const wire = encodeMessage(message);
    assert.deepEqual(decodeMessage(wire), message, `seed 0x${seed.toString(16)}, message ${i}`);
    assert.ok(exerciseOrExplain(seed, i, wire));
  }
});
