/**
 * Hostile DNS messages, seeded so a failure names the seed that reproduces it: random byte
 * strings, and valid messages mutated the ways attackers and broken middleboxes do (bit flips,
 * truncation, duplicated slices, counts that lie, compression pointers aimed forward, at
 * themselves or in loops, oversize labels and names, huge RDLENGTH). The codec fuzz test feeds
 * them to the decoder; the doors fuzz feeds them to the running gateway.
 */
import { encodeMessage, RType, scanRecords } from "../../dns/mod.ts";
import { queryMessage } from "./dns_query.ts";
import {
  ALL_TYPES,
  COMMON_TYPES,
  Random,
  randomMessage,
  randomName,
  randomOption,
} from "./random_messages.ts";
import { TEST_ZONE } from "./test_zone.ts";

/** A byte string of 0-600 bytes; half of those long enough get plausible flags and counts. */
export function randomInput(random: Random): Uint8Array<ArrayBuffer> {
  const length = random.bool(0.5) ? random.int(41) : random.int(601);
  const input = new Uint8Array(random.bytes(length));
  // Plausible flags and counts make decoding go past the first bytes.
  if (input.length >= 12 && random.bool()) {
    input.set([0, 1, 0, random.int(2), 0, random.int(3), 0, random.int(3), 0, 0], 2);
  }
  return input;
}

/** Two pointer bytes at `at` aimed at `target`. */
function pointTo(out: Uint8Array, at: number, target: number): void {
  out[at] = 0xc0 | ((target >> 8) & 0x3f);
  out[at + 1] = target & 0xff;
}

/** `out` with `inserted` spliced in at `at`. */
function splice(out: Uint8Array, at: number, inserted: Uint8Array): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(out.length + inserted.length);
  grown.set(out.subarray(0, at));
  grown.set(inserted, at);
  grown.set(out.subarray(at), at + inserted.length);
  return grown;
}

/** `count` labels of `length` letters each, as wire bytes (no terminating zero). */
function labels(count: number, length: number): Uint8Array {
  const out = new Uint8Array(count * (length + 1));
  for (let i = 0; i < count; i++) {
    out[i * (length + 1)] = length;
    out.fill(0x61 + (i % 26), i * (length + 1) + 1, (i + 1) * (length + 1));
  }
  return out;
}

/** One to three mutations of a copy of `valid`. */
export function mutate(random: Random, valid: Uint8Array): Uint8Array<ArrayBuffer> {
  let out = new Uint8Array(valid);
  const rounds = 1 + random.int(3);
  for (let round = 0; round < rounds; round++) {
    switch (random.int(12)) {
      case 0: // flip a bit
        if (out.length) out[random.int(out.length)] ^= 1 << random.int(8);
        break;
      case 1: // replace a byte
        if (out.length) out[random.int(out.length)] = random.int(256);
        break;
      case 2: // truncate
        out = out.slice(0, random.int(out.length + 1));
        break;
      case 3: { // duplicate a slice somewhere
        const start = random.int(out.length + 1);
        out = splice(out, random.int(out.length + 1), out.slice(start, start + random.int(40)));
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
      case 5: { // a compression pointer: to itself, forward, backward, anywhere, past the end
        if (out.length < 14) break;
        const at = 12 + random.int(out.length - 13);
        const target = random.pick([
          at,
          at + 2,
          at + random.int(40),
          12 + random.int(Math.max(1, at - 12)),
          random.int(out.length + 10),
          12,
          0x3fff,
        ]);
        pointTo(out, at, target);
        break;
      }
      case 6: { // a pointer in place of a name's end (the zero octet of some label sequence)
        const zeros = [];
        for (let i = 12; i < out.length - 1; i++) if (out[i] === 0) zeros.push(i);
        if (zeros.length) {
          const at = random.pick(zeros);
          pointTo(out, at, random.pick([at, 12, random.int(out.length)]));
        }
        break;
      }
      case 7: { // a huge length: a 16-bit field (RDLENGTH-shaped) or a label length
        if (out.length < 2) break;
        const at = random.int(out.length - 1);
        out[at] = random.pick([0xff, 0x3f, 0x40, 0x80]);
        out[at + 1] = random.int(256);
        break;
      }
      case 8: // a label length over 63 (reserved label types 0x40/0x80)
        if (out.length > 12) out[12 + random.int(out.length - 12)] = random.pick([0x40, 0x80, 64]);
        break;
      case 9: { // a compression loop: two pointers aimed at each other, or a label at itself
        if (out.length < 16) break;
        const at = 12 + random.int(out.length - 15);
        if (random.bool()) {
          pointTo(out, at, at + 2);
          pointTo(out, at + 2, at);
        } else {
          out = splice(out, at, new Uint8Array([1, 0x61, 0xc0 | (at >> 8), at & 0xff]));
        }
        break;
      }
      case 10: // an oversize name or label: long labels before the first name
        if (out.length >= 12) {
          out = splice(out, 12, random.bool(0.7) ? labels(4 + random.int(4), 63) : labels(1, 64));
        }
        break;
      case 11: { // a huge RDLENGTH on a real record
        let offsets: number[] = [];
        try {
          offsets = scanRecords(out).ttlOffsets;
        } catch {
          // no records to be found: nothing to aim at
        }
        if (offsets.length) {
          const at = random.pick(offsets) + 4;
          const value = random.pick([0xffff, 0x8000, out.length, random.int(0x10000)]);
          out[at] = value >> 8;
          out[at + 1] = value & 0xff;
        }
        break;
      }
    }
  }
  return out;
}

const ZONE_LABELS = ["www", "mail", "big", "multi", "alias", "short", "nope", "_sip._tcp", ""];
const QUERY_TYPES = [...COMMON_TYPES, RType.ANY, RType.HTTPS, RType.SVCB, 0, 65535];

/**
 * A query a client might really send: a name in the test zone (so it reaches the upstream and
 * the cache) or anywhere, any type, often EDNS with options, now and then another opcode or
 * EDNS version.
 */
export function randomQuery(random: Random): Uint8Array<ArrayBuffer> {
  const label = random.pick(ZONE_LABELS);
  const name = random.bool(0.6)
    ? (label === "" ? TEST_ZONE : `${label}.${TEST_ZONE}`)
    : randomName(random);
  const edns = random.bool(0.7)
    ? {
      udpSize: random.pick([512, 1232, 4096, 65535]),
      version: random.bool(0.95) ? 0 : random.int(256),
      dnssecOk: random.bool(),
      options: Array.from({ length: random.int(3) }, () => randomOption(random)),
    }
    : undefined;
  return encodeMessage(queryMessage(name, random.pick(QUERY_TYPES), {
    id: random.int(0x10000),
    recursionDesired: random.bool(0.9),
    opcode: random.bool(0.95) ? 0 : random.int(16),
    edns,
  }));
}

/**
 * An endless stream of hostile inputs from `seed`: a fifth random byte strings, a tenth real
 * queries as they are, the rest mutations of real queries and of random messages (responses,
 * several questions, every record type).
 */
export function hostileStream(seed: number): () => Uint8Array<ArrayBuffer> {
  const random = new Random(seed);
  const seeds: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) seeds.push(randomQuery(random));
  for (let i = 0; i < 200; i++) seeds.push(encodeMessage(randomMessage(random, ALL_TYPES)));
  return () => {
    const kind = random.next();
    if (kind < 0.2) return randomInput(random);
    if (kind < 0.3) return new Uint8Array(random.pick(seeds));
    return mutate(random, random.pick(seeds));
  };
}
