/**
 * The wire codec against `dns-packet` (the npm reference decoder; the peer here) on a typical
 * DoH answer, and the fast paths against a full decode: `deno task bench` prints each group's
 * ratio to its baseline.
 */
import { Buffer } from "node:buffer";
import dnsPacket from "dns-packet";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  peekQuestion,
  RClass,
  RType,
  scanRecords,
  withId,
} from "../dns/mod.ts";

/** A CNAME chain to two A records and an SOA-free OPT: what most web lookups get back. */
const answer: Message = {
  header: {
    id: 0,
    response: true,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: true,
    zero: false,
    authenticData: false,
    checkingDisabled: false,
    rcode: 0,
  },
  questions: [{ name: "www.example.com", type: RType.A, class: RClass.IN }],
  answers: [
    {
      name: "www.example.com",
      type: RType.CNAME,
      class: RClass.IN,
      ttl: 300,
      data: { target: "edge.cdn.example.net" },
    },
    ...["192.0.2.10", "192.0.2.11"].map((address) => ({
      name: "edge.cdn.example.net",
      type: RType.A,
      class: RClass.IN,
      ttl: 60,
      data: { address },
    })),
  ],
  authorities: [],
  additionals: [],
  edns: { udpSize: 1232, version: 0, dnssecOk: false, flags: 0, options: [] },
};

const bytes = encodeMessage(answer);
const buffer = Buffer.from(bytes);
const packet = dnsPacket.decode(buffer);

Deno.bench("decode: dns-packet", { group: "decode", baseline: true }, () => {
  dnsPacket.decode(buffer);
});
Deno.bench("decode: ours", { group: "decode" }, () => {
  decodeMessage(bytes);
});

Deno.bench("encode: dns-packet", { group: "encode", baseline: true }, () => {
  dnsPacket.encode(packet);
});
Deno.bench("encode: ours", { group: "encode" }, () => {
  encodeMessage(answer);
});

Deno.bench("full decode", { group: "fast paths", baseline: true }, () => {
  decodeMessage(bytes);
});
Deno.bench("peekQuestion (header + question)", { group: "fast paths" }, () => {
  peekQuestion(bytes);
});
Deno.bench("scanRecords (TTL offsets, min TTL)", { group: "fast paths" }, () => {
  scanRecords(bytes);
});
Deno.bench("withId (patched copy)", { group: "fast paths" }, () => {
  withId(bytes, 0x1234);
});
