/**
 * What the cache reads of every answer it keeps, its CNAME/DNAME targets (dns/aliases.ts) and
 * its addresses (dns/view.ts `answerAddresses`), is read in one walk of the answer section:
 * it must find what the plain way finds, the targets and addresses of the decoded records, on
 * random answers (escapes, case, compression, every section), damaged now and then.
 */
import assert from "node:assert/strict";
import {
  aliasTargets,
  answerAddresses,
  canonicalName,
  checkRecords,
  decodeMessage,
  encodeMessage,
  encodeReply,
  RClass,
  type ResourceRecord,
  RType,
  scanRecords,
} from "../../dns/mod.ts";
import { queryMessage } from "../support/dns_query.ts";
import { Random } from "../support/random_messages.ts";

/** A seeded generator (tests/support/random_messages.ts), so a failure can be run again. */
function random(seed: number): () => number {
  const generator = new Random(seed);
  return () => generator.next();
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

function nameOf(next: () => number): string {
  const labels = 1 + Math.floor(next() * 4);
  return Array.from({ length: labels }, () => {
    const length = 1 + Math.floor(next() * 10);
    let label = "";
    for (let i = 0; i < length; i++) {
      // Now and then a character the text escapes.
      label += next() < 0.05 ? "\\." : LETTERS[Math.floor(next() * LETTERS.length)];
    }
    return label;
  }).join(".");
}

function recordOf(next: () => number, owner: string): ResourceRecord {
  const base = { name: next() < 0.7 ? owner : nameOf(next), ttl: 60 };
  const klass = next() < 0.9 ? RClass.IN : RClass.CH;
  const roll = next();
  if (roll < 0.25) {
    return { ...base, type: RType.CNAME, class: klass, data: { target: nameOf(next) } };
  }
  if (roll < 0.35) {
    return { ...base, type: RType.DNAME, class: klass, data: { target: nameOf(next) } };
  }
  if (roll < 0.6 && klass === RClass.IN) {
    const address = Array.from({ length: 4 }, () => Math.floor(next() * 256)).join(".");
    return { ...base, type: RType.A, class: klass, data: { address } };
  }
  if (roll < 0.75) {
    return { ...base, type: RType.AAAA, class: RClass.IN, data: { address: "2001:db8::7" } };
  }
  if (roll < 0.85) {
    return {
      ...base,
      type: RType.MX,
      class: klass,
      data: { preference: 5, exchange: nameOf(next) },
    };
  }
  return {
    ...base,
    type: RType.TXT,
    class: klass,
    data: { strings: [new TextEncoder().encode(nameOf(next))] },
  };
}

function answerOf(next: () => number): Uint8Array {
  const owner = nameOf(next);
  const records = (count: number) => Array.from({ length: count }, () => recordOf(next, owner));
  const query = queryMessage(owner, RType.A, next() < 0.5 ? { edns: {} } : {});
  return encodeReply(query, {
    answers: records(Math.floor(next() * 6)),
    authorities: records(Math.floor(next() * 2)),
    additionals: records(Math.floor(next() * 2)),
  });
}

/** Now and then a byte changed, or the message cut short. */
function damaged(bytes: Uint8Array, next: () => number): Uint8Array {
  const roll = next();
  if (roll < 0.5) return bytes;
  if (roll < 0.7) return bytes.subarray(0, Math.floor(next() * bytes.length));
  const copy = bytes.slice();
  copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
  return copy;
}

/** The plain way: every record decoded, the targets taken from the decoded CNAMEs and DNAMEs. */
function decodedTargets(bytes: Uint8Array): string[] | undefined {
  let message;
  try {
    message = decodeMessage(bytes);
  } catch {
    return undefined;
  }
  return message.answers
    .filter((record) => record.type === RType.CNAME || record.type === RType.DNAME)
    .map((record) => canonicalName((record.data as { target: string }).target));
}

/**
 * The plain way: every record decoded, the addresses of the answer section's A and AAAA records
 * of class IN, each as the 16 bytes of an IPv6 address (IPv4 mapped), in order.
 */
function decodedAddresses(bytes: Uint8Array): number[] | undefined {
  let message;
  try {
    message = decodeMessage(bytes);
  } catch {
    return undefined;
  }
  return message.answers
    .filter((record) =>
      record.class === RClass.IN && (record.type === RType.A || record.type === RType.AAAA)
    )
    .flatMap((record) => addressBytes((record.data as { address: string }).address));
}

/** An address's text as the 16 bytes of an IPv6 address: IPv4 as ::ffff:a.b.c.d. */
function addressBytes(text: string): number[] {
  if (!text.includes(":")) return addressBytes(`::ffff:${text}`);
  const groups = (part: string): number[] =>
    part === "" ? [] : part.split(":").flatMap((group) => {
      if (!group.includes(".")) return [parseInt(group, 16)];
      const [a, b, c, d] = group.split(".").map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

Deno.test("CNAME and DNAME targets read in one walk are those of the decoded records", () => {
  const next = random(20261207);
  let withTargets = 0;
  for (let round = 0; round < 5000; round++) {
    const bytes = damaged(answerOf(next), next);
    const decoded = decodedTargets(bytes);
    // Only a message that decodes has decoded records to compare with.
    if (decoded === undefined) continue;
    assert.deepEqual(aliasTargets(bytes), decoded, `round ${round}: ${bytes}`);
    if (decoded.length > 0) withTargets++;
  }
  assert.ok(withTargets > 1000, `${withTargets} rounds had targets: the test must see them`);
});

Deno.test("a CNAME whose rdata is more than its name has no targets read", () => {
  const header = [0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
  const question = [1, 0x61, 0, 0, 1, 0, 1];
  const cname = (rdata: number[]) => [0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, rdata.length, ...rdata];
  const fits = Uint8Array.of(...header, ...question, ...cname([1, 0x62, 0]));
  assert.deepEqual(aliasTargets(fits), ["b"]);
  const more = Uint8Array.of(...header, ...question, ...cname([1, 0x62, 0, 0]));
  assert.equal(decodedTargets(more), undefined);
  assert.deepEqual(aliasTargets(more), []);
});

Deno.test("the answer's addresses read in one walk are those of the decoded records", () => {
  const next = random(77);
  let withAddresses = 0;
  for (let round = 0; round < 5000; round++) {
    const bytes = damaged(answerOf(next), next);
    const found = answerAddresses(bytes);
    assert.equal(found.length % 16, 0, `round ${round}: whole addresses only`);
    const expected = decodedAddresses(bytes);
    // A damaged message that does not decode: read up to the damage, never a throw.
    if (expected === undefined) continue;
    assert.deepEqual([...found], expected, `round ${round}: ${bytes}`);
    if (expected.length > 0) withAddresses++;
  }
  assert.ok(withAddresses > 1000, `${withAddresses} rounds had addresses`);
});

Deno.test("an answer with more addresses than the walk first had room for keeps them all", () => {
  const next = random(5);
  const message = decodeMessage(answerOf(next));
  const answers = Array.from({ length: 40 }, (_, i) => ({
    name: "many.example",
    type: RType.A,
    class: RClass.IN,
    ttl: 60,
    data: { address: `192.0.2.${i}` },
  }));
  const bytes = encodeMessage({ ...message, answers });
  assert.deepEqual([...answerAddresses(bytes)], decodedAddresses(bytes));
});

Deno.test("checking the records throws exactly where scanning them does", () => {
  const next = random(99);
  let thrown = 0;
  for (let round = 0; round < 5000; round++) {
    const bytes = damaged(answerOf(next), next);
    let scanned: unknown;
    try {
      scanRecords(bytes);
    } catch (error) {
      scanned = error;
    }
    let checked: unknown;
    try {
      checkRecords(bytes);
    } catch (error) {
      checked = error;
    }
    assert.equal(String(checked), String(scanned), `round ${round}: ${bytes}`);
    if (scanned !== undefined) thrown++;
  }
  assert.ok(thrown > 500, `${thrown} rounds threw`);
});

Deno.test("the addresses read with room in front are the same, after that many zero bytes", () => {
  const next = random(11);
  for (let round = 0; round < 1000; round++) {
    const bytes = damaged(answerOf(next), next);
    const plain = answerAddresses(bytes);
    const room = Math.floor(next() * 100);
    const roomy = answerAddresses(bytes, room);
    if (plain.length === 0) {
      assert.equal(roomy.length, 0, `round ${round}: no addresses, no room`);
      continue;
    }
    assert.equal(roomy.length, room + plain.length, `round ${round}`);
    assert.ok(roomy.subarray(0, room).every((byte) => byte === 0), `round ${round}`);
    assert.deepEqual(roomy.subarray(room), plain, `round ${round}`);
  }
});
