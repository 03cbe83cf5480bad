/**
 * Our codec against dns-packet (an independent, widely used implementation; dev-only) on
 * 10,000 seeded random messages each way: what one encodes the other must decode to the very
 * same message. The adapters below only translate representation (string type names, Buffers,
 * "." for the root, OPT as a record); every field is compared exactly.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import dnsPacket from "dns-packet";
import {
  decodeMessage,
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
  MxData,
  NsecData,
  OpaqueData,
  RrsigData,
  SoaData,
  SrvData,
  TxtData,
} from "../../dns/types.ts";
import { canonicalIpv6, Random, randomMessage } from "../support/random_messages.ts";

const COUNT = 10_000;
// deno-lint-ignore no-explicit-any
type Packet = any;
// deno-lint-ignore no-explicit-any
type Json = any;

const toName = (name: string) => (name === "" ? "." : name);
const fromName = (name: string) => (name === "." || name === "" ? "" : name);
const packetType = (type: number) => (type === 65280 ? "UNKNOWN_65280" : typeName(type));
const classText = (klass: number) => (klass === RClass.IN ? "IN" : "CH");
const fromClass = (text: string) => (text === "IN" ? RClass.IN : RClass.CH);
const fromType = (text: string): number =>
  text === "UNKNOWN_65280" ? 65280 : RType[text as keyof typeof RType];
const bytes = (buffer: Uint8Array) => new Uint8Array(buffer);

function dataToPacket(record: ResourceRecord): Json {
  const d = record.data as Json;
  switch (record.type) {
    case RType.A:
    case RType.AAAA:
      return d.address;
    case RType.CNAME:
    case RType.NS:
    case RType.PTR:
      return toName(d.target);
    case RType.MX:
      return { preference: (d as MxData).preference, exchange: toName(d.exchange) };
    case RType.TXT:
      return (d as TxtData).strings.map((s) => Buffer.from(s));
    case RType.SOA:
      return { ...(d as SoaData), mname: toName(d.mname), rname: toName(d.rname) };
    case RType.SRV:
      return { ...(d as SrvData), target: toName(d.target) };
    case RType.CAA: {
      const caa = d as CaaData;
      return {
        flags: caa.flags,
        issuerCritical: caa.flags === 128,
        tag: caa.tag,
        value: new TextDecoder().decode(caa.value),
      };
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
        signersName: toName(sig.signerName),
        signature: Buffer.from(sig.signature),
      };
    }
    case RType.NSEC:
      return { nextDomain: toName((d as NsecData).nextName), rrtypes: d.types.map(typeName) };
    default:
      return Buffer.from((d as OpaqueData).bytes);
  }
}

function dataFromPacket(type: number, d: Json): ResourceRecord["data"] {
  switch (type) {
    case RType.A:
      return { address: d };
    case RType.AAAA:
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
      return { flags: d.flags, tag: d.tag, value: new TextEncoder().encode(d.value) };
    case RType.DS:
      return {
        keyTag: d.keyTag,
        algorithm: d.algorithm,
        digestType: d.digestType,
        digest: bytes(d.digest),
      };
    case RType.DNSKEY:
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

function flagsWord(message: Message): number {
  const h = message.header;
  return ((h.opcode & 0xf) << 11) | (h.authoritative ? 0x400 : 0) | (h.truncated ? 0x200 : 0) |
    (h.recursionDesired ? 0x100 : 0) | (h.recursionAvailable ? 0x80 : 0) |
    (h.zero ? 0x40 : 0) | (h.authenticData ? 0x20 : 0) | (h.checkingDisabled ? 0x10 : 0) |
    (h.rcode & 0xf);
}

/** Our message as dns-packet's input; the OPT record goes at `optAt` in the additionals. */
function toPacket(message: Message, optAt: number): Packet {
  const record = (r: ResourceRecord) => ({
    name: toName(r.name),
    type: packetType(r.type),
    class: classText(r.class),
    ttl: r.ttl,
    data: dataToPacket(r),
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
      options: edns.options.map((o) => ({ code: o.code, data: Buffer.from(o.data) })),
    });
  }
  return {
    id: message.header.id,
    type: message.header.response ? "response" : "query",
    flags: flagsWord(message),
    questions: message.questions.map((q) => ({
      name: toName(q.name),
      type: packetType(q.type),
      class: classText(q.class),
    })),
    answers: message.answers.map(record),
    authorities: message.authorities.map(record),
    additionals,
  };
}

/** dns-packet's decoded packet in our shape. */
function fromPacket(packet: Packet): Message {
  const record = (r: Json): ResourceRecord => {
    const type = fromType(r.type);
    return {
      name: fromName(r.name),
      type,
      class: fromClass(r.class),
      ttl: r.ttl,
      data: dataFromPacket(type, r.data),
    };
  };
  const opt = packet.additionals.find((r: Json) => r.type === "OPT");
  const flags = packet.flags;
  return {
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
    edns: opt && {
      udpSize: opt.udpPayloadSize,
      version: opt.ednsVersion,
      dnssecOk: opt.flag_do,
      flags: opt.flags & 0x7fff,
      options: opt.options.map((o: Json) => ({ code: o.code, data: bytes(o.data) })),
    },
  };
}

/** Messages without EDNS have no `edns` key at all after our decode. */
function normalise(message: Message): Message {
  if (message.edns !== undefined) return message;
  const { edns: _, ...rest } = message;
  return rest;
}

Deno.test(`dns-packet decodes ${COUNT} messages we encode to the same message`, () => {
  const seed = 0x5eed_0001;
  const random = new Random(seed);
  for (let i = 0; i < COUNT; i++) {
    const message = randomMessage(random);
    const wire = encodeMessage(message);
    const decoded = fromPacket(dnsPacket.decode(Buffer.from(wire)));
    assert.deepEqual(normalise(decoded), normalise(message), `seed ${seed}, message ${i}`);
  }
});

Deno.test(`we decode ${COUNT} messages dns-packet encodes to the same message`, () => {
  const seed = 0x5eed_0002;
  const random = new Random(seed);
  for (let i = 0; i < COUNT; i++) {
    const message = randomMessage(random);
    const wire = dnsPacket.encode(toPacket(message, random.int(5)));
    const decoded = decodeMessage(new Uint8Array(wire));
    assert.deepEqual(normalise(decoded), normalise(message), `seed ${seed}, message ${i}`);
  }
});
