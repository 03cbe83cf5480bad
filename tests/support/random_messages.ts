/**
 * Deterministic random DNS messages (seeded, so a failure names the seed that reproduces it),
 * for the differential test against dns-packet and as seeds for the fuzz test. Names are in
 * canonical form (lowercase, no trailing dot) and share suffixes, so compression is exercised.
 */
import {
  type EdnsOption,
  encodeClientSubnet,
  encodeExtendedError,
  type Message,
  RClass,
  type ResourceRecord,
  RType,
} from "../../dns/mod.ts";

/** mulberry32: tiny, fast, good enough to spread test cases. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  u32(): number {
    return this.int(0x10000) * 0x10000 + this.int(0x10000);
  }
}

const LABELS = [
  "www",
  "mail",
  "a",
  "b-1",
  "cdn",
  "x9",
  "_tcp",
  "_sip",
  "example",
  "test",
  "org",
  "com",
  "net",
];
const LABEL_CHARS = [..."abcdefghijklmnopqrstuvwxyz0123456789-_"];

/**
 * A name of 0-5 labels from a small pool (shared suffixes, so compression has work) or random
 * letters, digits, "-" and "_", up to 63 of them; never over 255 octets on the wire.
 */
export function randomName(random: Random): string {
  if (random.bool(0.03)) return "";
  const count = 1 + random.int(5);
  const labels: string[] = [];
  let octets = 1;
  for (let i = 0; i < count; i++) {
    let label = "";
    if (random.bool(0.8)) {
      label = random.pick(LABELS);
    } else {
      const length = 1 + random.int(random.bool(0.1) ? 63 : 12);
      for (let j = 0; j < length; j++) label += random.pick(LABEL_CHARS);
    }
    if (octets + label.length + 1 > 255) break;
    octets += label.length + 1;
    labels.push(label);
  }
  return labels.join(".");
}

/** The same name with letters uppercased at random (names compare case-insensitively). */
export function randomCase(random: Random, name: string): string {
  let out = "";
  for (const char of name) out += random.bool() ? char.toUpperCase() : char;
  return out;
}

/** The rdata fields that hold names, in every type that has one. */
const NAME_FIELDS = ["target", "exchange", "mname", "rname", "signerName", "nextName", "domain"];

/**
 * The message with every name — questions, owners and names in rdata — in random letter case,
 * as upstreams may write them (0x20 randomisation, zones written in mixed case).
 */
export function withRandomCase(random: Random, message: Message): Message {
  const record = (r: ResourceRecord): ResourceRecord => {
    const data = { ...r.data } as Record<string, unknown>;
    for (const field of NAME_FIELDS) {
      if (typeof data[field] === "string") data[field] = randomCase(random, data[field]);
    }
    return {
      ...r,
      name: randomCase(random, r.name),
      data: data as unknown as ResourceRecord["data"],
    };
  };
  return {
    ...message,
    questions: message.questions.map((q) => ({ ...q, name: randomCase(random, q.name) })),
    answers: message.answers.map(record),
    authorities: message.authorities.map(record),
    additionals: message.additionals.map(record),
  };
}

/** Types both our codec and dns-packet know, so the differential test can compare them. */
export const COMMON_TYPES = [
  RType.A,
  RType.AAAA,
  RType.CNAME,
  RType.NS,
  RType.PTR,
  RType.MX,
  RType.TXT,
  RType.SOA,
  RType.SRV,
  RType.CAA,
  RType.DS,
  RType.DNSKEY,
  RType.RRSIG,
  RType.NSEC,
  65280,
] as const;

/** Every type our codec models, so fuzz seeds reach every rdata decoder. */
export const ALL_TYPES = [...COMMON_TYPES, RType.DNAME, RType.SVCB, RType.HTTPS] as const;

/** Types an NSEC bitmap or an RRSIG may name (ones dns-packet can spell too). */
const NAMED_TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 46, 47, 48, 257];

function ipv6(random: Random): string {
  if (random.bool(0.05)) {
    return ipv6Text([0, 0, 0, 0, 0, 0xffff, random.int(0x10000), random.int(0x10000)]);
  }
  return ipv6Text(Array.from({ length: 8 }, () => random.bool(0.4) ? 0 : random.int(0x10000)));
}

/**
 * An IPv6 address rewritten in RFC 5952 form, for comparing with implementations that
 * compress the first zero run rather than the longest (dns-packet does).
 */
export function canonicalIpv6(text: string): string {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = new Array(8 - left.length - right.length).fill(0);
  return ipv6Text([...left, ...zeros, ...right]);
}

/**
 * RFC 5952 text of eight groups: lowercase, the longest run (≥ 2) of zeros as "::", first if
 * tied; an IPv4-mapped address (::ffff:0:0/96) as ::ffff: and a dotted quad (§5).
 */
export function ipv6Text(groups: number[]): string {
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6], groups[7]];
    return `::ffff:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function printable(random: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => 0x21 + random.int(0x5e));
}

const TAG_CHARS = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];

function letters(random: Random, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += random.pick(TAG_CHARS);
  return out;
}

/** Types whose rdata format is defined for class IN only: opaque in other classes. */
const IN_ONLY_TYPES: readonly number[] = [RType.A, RType.AAAA, RType.SRV, RType.SVCB, RType.HTTPS];

/** The rdata of one record of `type` in class `klass`, in our codec's shape. */
export function randomData(random: Random, type: number, klass: number): ResourceRecord["data"] {
  if (klass !== RClass.IN && IN_ONLY_TYPES.includes(type)) {
    if (klass === RClass.CH && type === RType.A) {
      return { domain: randomName(random), address: random.int(0x10000) };
    }
    return { bytes: random.bytes(random.int(20)) };
  }
  switch (type) {
    case RType.A:
      return { address: Array.from({ length: 4 }, () => random.int(256)).join(".") };
    case RType.AAAA:
      return { address: ipv6(random) };
    case RType.CNAME:
    case RType.NS:
    case RType.PTR:
    case RType.DNAME:
      return { target: randomName(random) };
    case RType.MX:
      return { preference: random.int(0x10000), exchange: randomName(random) };
    case RType.TXT:
      return {
        strings: Array.from(
          { length: 1 + random.int(3) },
          () => random.bytes(random.bool(0.1) ? 255 : random.int(40)),
        ),
      };
    case RType.SOA:
      return {
        mname: randomName(random),
        rname: randomName(random),
        serial: random.u32(),
        refresh: random.u32(),
        retry: random.u32(),
        expire: random.u32(),
        minimum: random.u32(),
      };
    case RType.SRV:
      return {
        priority: random.int(0x10000),
        weight: random.int(0x10000),
        port: random.int(0x10000),
        target: randomName(random),
      };
    case RType.CAA:
      return {
        flags: random.bool(0.7) ? random.pick([0, 128]) : random.int(256),
        tag: random.bool(0.7)
          ? random.pick(["issue", "issuewild", "iodef"])
          : letters(random, 1 + random.int(15)),
        value: printable(random, random.int(30)),
      };
    case RType.DS:
      return {
        keyTag: random.int(0x10000),
        algorithm: random.pick([8, 13, 15]),
        digestType: random.pick([1, 2, 4]),
        digest: random.bytes(random.pick([20, 32, 48])),
      };
    case RType.DNSKEY:
      return {
        flags: random.pick([256, 257]),
        protocol: 3,
        algorithm: random.pick([8, 13, 15]),
        publicKey: random.bytes(32 + random.int(100)),
      };
    case RType.RRSIG:
      return {
        typeCovered: random.pick(NAMED_TYPES),
        algorithm: random.pick([8, 13]),
        labels: random.int(6),
        originalTtl: random.u32(),
        expiration: random.u32(),
        inception: random.u32(),
        keyTag: random.int(0x10000),
        signerName: randomName(random),
        signature: random.bytes(64 + random.int(64)),
      };
    case RType.NSEC: {
      const types = [
        ...new Set(Array.from({ length: 1 + random.int(6) }, () => random.pick(NAMED_TYPES))),
      ];
      return { nextName: randomName(random), types: types.sort((a, b) => a - b) };
    }
    case RType.SVCB:
    case RType.HTTPS:
      return {
        priority: random.int(3),
        target: randomName(random),
        params: Array.from({ length: random.int(5) }, (_, i) => ({
          key: random.bool(0.8) ? i : random.int(0x10000),
          value: random.bytes(random.int(20)),
        })),
      };
    default:
      return { bytes: random.bytes(random.int(20)) };
  }
}

/**
 * A record of one of `types`, now and then in class CH; with `classSpecific` false, types
 * whose format depends on the class stay in IN (for implementations that read every class as
 * IN, as dns-packet does).
 */
export function randomRecord(
  random: Random,
  types: readonly number[],
  classSpecific = true,
): ResourceRecord {
  const type = random.pick(types);
  const chaos = random.bool(0.1) && (classSpecific || !IN_ONLY_TYPES.includes(type));
  const klass = chaos ? RClass.CH : RClass.IN;
  return {
    name: randomName(random),
    type,
    class: klass,
    ttl: random.bool(0.2) ? random.u32() : random.int(86400),
    data: randomData(random, type, klass),
  };
}

/**
 * A well-formed EDNS option: client subnet (address bits past the prefix zero, RFC 7871 §6),
 * cookie (8 or 16-40 bytes, RFC 7873), padding (zeros), extended error with or without text,
 * or an opaque one (NSID, a private code).
 */
export function randomOption(random: Random): EdnsOption {
  switch (random.int(6)) {
    case 0: {
      const family = random.pick([1, 2]);
      const sourcePrefix = random.int(family === 1 ? 33 : 129);
      const address = random.bytes(Math.ceil(sourcePrefix / 8));
      if (sourcePrefix % 8) address[address.length - 1] &= 0xff << (8 - sourcePrefix % 8);
      const scopePrefix = random.int(family === 1 ? 33 : 129);
      return encodeClientSubnet({ family, sourcePrefix, scopePrefix, address });
    }
    case 1:
      return { code: 10, data: random.bytes(random.bool() ? 8 : 16 + random.int(25)) };
    case 2:
      return { code: 12, data: new Uint8Array(random.int(64)) };
    case 3:
      return encodeExtendedError({
        infoCode: random.int(30),
        ...(random.bool()
          ? { text: new TextDecoder().decode(printable(random, random.int(20))) }
          : {}),
      });
    default:
      return { code: random.pick([3, 65001]), data: random.bytes(random.int(24)) };
  }
}

/**
 * A message with random flags, 0-2 questions, 0-4 records per section, and maybe EDNS (then
 * maybe an extended rcode). Without EDNS the `edns` key is absent, as decodeMessage leaves it.
 */
export function randomMessage(
  random: Random,
  types: readonly number[] = COMMON_TYPES,
  { classSpecific = true } = {},
): Message {
  const withEdns = random.bool(0.6);
  const records = () =>
    Array.from({ length: random.int(5) }, () => randomRecord(random, types, classSpecific));
  const message: Message = {
    header: {
      id: random.int(0x10000),
      response: random.bool(),
      opcode: random.bool(0.7) ? 0 : random.int(16),
      authoritative: random.bool(),
      truncated: random.bool(0.2),
      recursionDesired: random.bool(),
      recursionAvailable: random.bool(),
      zero: random.bool(0.1),
      authenticData: random.bool(),
      checkingDisabled: random.bool(),
      rcode: withEdns && random.bool(0.2) ? random.int(4096) : random.int(16),
    },
    questions: Array.from({ length: random.int(3) }, () => ({
      name: randomName(random),
      type: random.pick(types),
      class: random.bool(0.9) ? RClass.IN : RClass.CH,
    })),
    answers: records(),
    authorities: records(),
    additionals: records(),
  };
  if (withEdns) {
    message.edns = {
      udpSize: random.pick([512, 1232, 4096, 65535]),
      version: random.bool(0.9) ? 0 : random.int(256),
      dnssecOk: random.bool(),
      flags: random.bool(0.9) ? 0 : random.int(0x8000),
      options: Array.from({ length: random.int(4) }, () => randomOption(random)),
    };
  }
  return message;
}
