/**
 * Our codec against dns-packet (an independent, widely used implementation; dev-only) on
 * 10,000 seeded random messages each way: what one encodes the other must decode to the very
 * same message. The adapters below only translate representation — string type names, Buffers,
 * "." for the root, its flag word, OPT as a record, ECS and padding as fields — and every field
 * is compared exactly.
 *
 * Not compared here, since dns-packet 5 cannot: SVCB/HTTPS and DNAME rdata, escaped labels,
 * DNSKEY protocols other than 3 (it always writes 3), and A, AAAA or SRV records in classes
 * other than IN (it reads every class as IN). roundtrip_test.ts pins their bytes.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import dnsPacket from "dns-packet";
import {
  type ClientSubnet,
  decodeClientSubnet,
  decodeMessage,
  EdnsOptionCode,
  encodeMessage,
  type Message,
  RClass,
  type ResourceRecord,
  RType,
  typeName,
} from "../../dns/mod.ts";
import type {
  CaaData,
  DnskeyData,
  DsData,
  EdnsOption,
  MxData,
  NsecData,
  OpaqueData,
  RrsigData,
  SoaData,
  SrvData,
  TxtData,
} from "../../dns/types.ts";
import {
  canonicalIpv6,
  COMMON_TYPES,
  ipv6Text,
  Random,
  randomMessage,
  withRandomCase,
} from "../support/random_messages.ts";

const COUNT = 10_000;
/** dns-packet reads every class as IN (class-blind): class-specific types stay in IN here. */
const CLASS_BLIND = { classSpecific: false };
// dns-packet has no types of its own here; its packets are plain JSON-like objects.
// deno-lint-ignore no-explicit-any
type Json = any;

/** How names are spelled for dns-packet: the root as ".", letters in the case given. */
type Spell = (name: string) => string;

const fromName = (name: string) => (name === "." ? "" : name);
const packetType = (type: number) => (type === 65280 ? "UNKNOWN_65280" : typeName(type));
const classText = (klass: number) => (klass === RClass.IN ? "IN" : "CH");
const fromClass = (text: string) => (text === "IN" ? RClass.IN : text === "CH" ? RClass.CH : -1);
const fromType = (text: string): number =>
  text === "UNKNOWN_65280" ? 65280 : RType[text as keyof typeof RType];
const bytes = (buffer: Uint8Array) => new Uint8Array(buffer);

/** The full address an ECS option's prefix bytes stand for, as text. */
function subnetAddress(subnet: ClientSubnet): string {
  const full = new Uint8Array(subnet.family === 1 ? 4 : 16);
  full.set(subnet.address);
  if (subnet.family === 1) return full.join(".");
  return ipv6Text(Array.from({ length: 8 }, (_, i) => (full[2 * i] << 8) | full[2 * i + 1]));
}

function dataToPacket(record: ResourceRecord, spell: Spell): Json {
  const d = record.data as Json;
  switch (record.type) {
    case RType.A:
    case RType.AAAA:
      return d.address;
    case RType.CNAME:
    case RType.NS:
    case RType.PTR:
      return spell(d.target);
    case RType.MX:
      return { preference: (d as MxData).preference, exchange: spell(d.exchange) };
    case RType.TXT:
      return (d as TxtData).strings.map((s) => Buffer.from(s));
    case RType.SOA:
      return { ...(d as SoaData), mname: spell(d.mname), rname: spell(d.rname) };
    case RType.SRV:
      return { ...(d as SrvData), target: spell(d.target) };
    case RType.CAA: {
      const caa = d as CaaData;
      // issuerCritical would overwrite the flags with 128; the flags byte is given whole.
      return { flags: caa.flags, tag: caa.tag, value: new TextDecoder().decode(caa.value) };
    }
    case RType.DS:
      return { ...(d as DsData), digest: Buffer.from(d.digest) };
    case RType.DNSKEY:
      return {
        flags: (d as DnskeyData).flags,
        algorithm: d.algorithm,
        key: Buffer.from(d.publicKey),
      };
    case RType.RRSIG: {
      const sig = d as RrsigData;
      return {
        typeCovered: typeName(sig.typeCovered),
        algorithm: sig.algorithm,
        labels: sig.labels,
        originalTTL: sig.originalTtl,
        expiration: sig.expiration,
        inception: sig.inception,
        keyTag: sig.keyTag,
        signersName: spell(sig.signerName),
        signature: Buffer.from(sig.signature),
      };
    }
    case RType.NSEC:
      return { nextDomain: spell((d as NsecData).nextName), rrtypes: d.types.map(typeName) };
    default:
      return Buffer.from((d as OpaqueData).bytes);
  }
}

function dataFromPacket(type: number, d: Json): ResourceRecord["data"] {
  switch (type) {
    case RType.A:
      return { address: d };
    case RType.AAAA:
      // dns-packet shortens the first zero run, RFC 5952 the longest.
      return { address: canonicalIpv6(d) };
    case RType.CNAME:
    case RType.NS:
    case RType.PTR:
      return { target: fromName(d) };
    case RType.MX:
      return { preference: d.preference, exchange: fromName(d.exchange) };
    case RType.TXT:
      return { strings: d.map(bytes) };
    case RType.SOA:
      return {
        mname: fromName(d.mname),
        rname: fromName(d.rname),
        serial: d.serial,
        refresh: d.refresh,
        retry: d.retry,
        expire: d.expire,
        minimum: d.minimum,
      };
    case RType.SRV:
      return { priority: d.priority, weight: d.weight, port: d.port, target: fromName(d.target) };
    case RType.CAA:
      assert.equal(d.issuerCritical, (d.flags & 128) !== 0);
      return { flags: d.flags, tag: d.tag, value: new TextEncoder().encode(d.value) };
    case RType.DS:
      return {
        keyTag: d.keyTag,
        algorithm: d.algorithm,
        digestType: d.digestType,
        digest: bytes(d.digest),
      };
    case RType.DNSKEY:
      // dns-packet refuses any protocol but 3, so a decoded key has protocol 3.
      return { flags: d.flags, protocol: 3, algorithm: d.algorithm, publicKey: bytes(d.key) };
    case RType.RRSIG:
      return {
        typeCovered: fromType(d.typeCovered),
        algorithm: d.algorithm,
        labels: d.labels,
        originalTtl: d.originalTTL,
        expiration: d.expiration,
        inception: d.inception,
        keyTag: d.keyTag,
        signerName: fromName(d.signersName),
        signature: bytes(d.signature),
      };
    case RType.NSEC:
      return { nextName: fromName(d.nextDomain), types: d.rrtypes.map(fromType) };
    default:
      return { bytes: bytes(d) };
  }
}

/**
 * An EDNS option as dns-packet input: ECS and padding through its own encoders (from fields,
 * not bytes), so their wire format is produced independently of ours; the rest as bytes.
 */
function optionToPacket(option: EdnsOption): Json {
  if (option.code === EdnsOptionCode.CLIENT_SUBNET) {
    const subnet = decodeClientSubnet(option.data);
    return {
      code: 8,
      family: subnet.family,
      sourcePrefixLength: subnet.sourcePrefix,
      scopePrefixLength: subnet.scopePrefix,
      ip: subnetAddress(subnet),
    };
  }
  if (option.code === EdnsOptionCode.PADDING && option.data.every((b) => b === 0)) {
    return { code: 12, length: option.data.length };
  }
  return { code: option.code, data: Buffer.from(option.data) };
}

/** dns-packet's decoded option as ours; for ECS its parsed fields must match the bytes. */
function optionFromPacket(option: Json): EdnsOption {
  const data = bytes(option.data);
  if (option.code === EdnsOptionCode.CLIENT_SUBNET) {
    const subnet = decodeClientSubnet(data);
    assert.equal(option.family, subnet.family);
    assert.equal(option.sourcePrefixLength, subnet.sourcePrefix);
    assert.equal(option.scopePrefixLength, subnet.scopePrefix);
    const ip = subnet.family === 1 ? option.ip : canonicalIpv6(option.ip);
    assert.equal(ip, subnetAddress(subnet));
  }
  return { code: option.code, data };
}

/** dns-packet's flags word: everything but QR (which it takes from `type`). */
function flagsWord(message: Message): number {
  const h = message.header;
  return ((h.opcode & 0xf) << 11) | (h.authoritative ? 0x400 : 0) | (h.truncated ? 0x200 : 0) |
    (h.recursionDesired ? 0x100 : 0) | (h.recursionAvailable ? 0x80 : 0) |
    (h.zero ? 0x40 : 0) | (h.authenticData ? 0x20 : 0) | (h.checkingDisabled ? 0x10 : 0) |
    (h.rcode & 0xf);
}

/** Our message as dns-packet's input; the OPT record goes at `optAt` among the additionals. */
function toPacket(message: Message, optAt: number): Json {
  const name = (n: string) => (n === "" ? "." : n);
  const record = (r: ResourceRecord) => ({
    name: name(r.name),
    type: packetType(r.type),
    class: classText(r.class),
    ttl: r.ttl,
    data: dataToPacket(r, name),
  });
  const additionals: Json[] = message.additionals.map(record);
  if (message.edns) {
    const edns = message.edns;
    additionals.splice(Math.min(optAt, additionals.length), 0, {
      name: ".",
      type: "OPT",
      udpPayloadSize: edns.udpSize,
      extendedRcode: message.header.rcode >> 4,
      ednsVersion: edns.version,
      flags: (edns.dnssecOk ? 0x8000 : 0) | edns.flags,
      options: edns.options.map(optionToPacket),
    });
  }
  return {
    id: message.header.id,
    type: message.header.response ? "response" : "query",
    flags: flagsWord(message),
    questions: message.questions.map((q) => ({
      name: name(q.name),
      type: packetType(q.type),
      class: classText(q.class),
    })),
    answers: message.answers.map(record),
    authorities: message.authorities.map(record),
    additionals,
  };
}

/** dns-packet's decoded packet in our shape. */
function fromPacket(packet: Json): Message {
  const record = (r: Json): ResourceRecord => {
    const type = fromType(r.type);
    assert.equal(r.flush, false, "no class has the mDNS flush bit");
    return {
      name: fromName(r.name),
      type,
      class: fromClass(r.class),
      ttl: r.ttl,
      data: dataFromPacket(type, r.data),
    };
  };
  const opts = packet.additionals.filter((r: Json) => r.type === "OPT");
  assert.ok(opts.length <= 1);
  const opt = opts[0];
  const flags = packet.flags;
  const message: Message = {
    header: {
      id: packet.id,
      response: packet.type === "response",
      opcode: (flags >> 11) & 0xf,
      authoritative: packet.flag_aa,
      truncated: packet.flag_tc,
      recursionDesired: packet.flag_rd,
      recursionAvailable: packet.flag_ra,
      zero: packet.flag_z,
      authenticData: packet.flag_ad,
      checkingDisabled: packet.flag_cd,
      rcode: (flags & 0xf) | ((opt?.extendedRcode ?? 0) << 4),
    },
    questions: packet.questions.map((q: Json) => ({
      name: fromName(q.name),
      type: fromType(q.type),
      class: fromClass(q.class),
    })),
    answers: packet.answers.map(record),
    authorities: packet.authorities.map(record),
    additionals: packet.additionals.filter((r: Json) => r.type !== "OPT").map(record),
  };
  assert.equal(packet.flag_qr, message.header.response);
  if (opt) {
    assert.equal(opt.name, ".");
    assert.equal(opt.flag_do, (opt.flags & 0x8000) !== 0);
    message.edns = {
      udpSize: opt.udpPayloadSize,
      version: opt.ednsVersion,
      dnssecOk: opt.flag_do,
      flags: opt.flags & 0x7fff,
      options: opt.options.map(optionFromPacket),
    };
  }
  return message;
}

Deno.test(`dns-packet decodes ${COUNT} messages we encode to the same message`, () => {
  const seed = 0x5eed_0001;
  const random = new Random(seed);
  let compressed = 0;
  for (let i = 0; i < COUNT; i++) {
    // Names in mixed case: compression must point only at suffixes spelled alike, or the
    // names that use a pointer would come out in another case.
    const message = withRandomCase(random, randomMessage(random, COMMON_TYPES, CLASS_BLIND));
    const wire = encodeMessage(message);
    let decoded: Message;
    try {
      decoded = fromPacket(dnsPacket.decode(Buffer.from(wire)));
    } catch (error) {
      throw new Error(`seed ${seed}, message ${i}: ${error}`, { cause: error });
    }
    assert.deepEqual(decoded, message, `seed ${seed}, message ${i}`);
    // dns-packet never compresses: a shorter message of ours carries pointers it followed.
    if (wire.length < dnsPacket.encodingLength(toPacket(message, 0))) compressed++;
  }
  // Fewer than with lowercase names: a suffix is shared only when spelled alike.
  assert.ok(compressed > COUNT / 4, `${compressed}`);
});

Deno.test(`we decode ${COUNT} messages dns-packet encodes (OPT anywhere, any case)`, () => {
  const seed = 0x5eed_0002;
  const random = new Random(seed);
  for (let i = 0; i < COUNT; i++) {
    const message = withRandomCase(random, randomMessage(random, COMMON_TYPES, CLASS_BLIND));
    const packet = toPacket(message, random.int(5));
    const wire = new Uint8Array(dnsPacket.encode(packet));
    let decoded: Message;
    try {
      decoded = decodeMessage(wire);
    } catch (error) {
      throw new Error(`seed ${seed}, message ${i}: ${error}`, { cause: error });
    }
    // Names come back in the case dns-packet was given.
    assert.deepEqual(decoded, message, `seed ${seed}, message ${i}`);
  }
});
