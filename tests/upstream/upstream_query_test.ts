/**
 * The upstream query built straight from the client's bytes is byte for byte the one built by
 * decoding the query and encoding a new message, on 20,000 random queries: names of any bytes
 * and case, flags, EDNS with and without DO, every mix of options, client subnet passed on or
 * not. Most must take the short way (or it would not be worth having).
 */
import assert from "node:assert/strict";
import { decodeMessage, EdnsOptionCode, encodeMessage, headOf, peekQuery } from "../../dns/mod.ts";
import { upstreamQuery, upstreamQueryBytes } from "../../upstream/upstream_query.ts";
import { Random } from "../support/random_messages.ts";

const OPTION_CODES = [
  EdnsOptionCode.COOKIE,
  EdnsOptionCode.PADDING,
  EdnsOptionCode.EXTENDED_ERROR,
  EdnsOptionCode.CLIENT_SUBNET,
  65001,
];

/** A query as a client might write it, byte by byte. */
function randomQuery(random: Random): Uint8Array {
  const out: number[] = [random.int(256), random.int(256)];
  // QR 0, opcode 0 (or now and then another), AA/TC noise, RD; Z/AD/CD and rcode noise.
  out.push((random.int(8) === 0 ? random.int(16) << 3 : 0) | random.int(8), random.int(256) & 0x7f);
  const edns = random.int(3) !== 0;
  out.push(0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0);
  for (let labels = 1 + random.int(4); labels > 0; labels--) {
    const length = 1 + random.int(12);
    out.push(length);
    for (let i = 0; i < length; i++) {
      const roll = random.int(4);
      out.push(
        roll === 0 ? random.int(256) : roll === 1 ? 0x41 + random.int(26) : 0x61 + random.int(26),
      );
    }
  }
  out.push(0, 0, 1 + random.int(60), 0, 1);
  if (edns) {
    const options: number[] = [];
    for (const code of OPTION_CODES) {
      if (random.int(3) !== 0) continue;
      const size = code === EdnsOptionCode.CLIENT_SUBNET ? 7 : random.int(6);
      const data = code === EdnsOptionCode.CLIENT_SUBNET
        ? [0, 1, 24, 0, 192, 0, 2]
        : Array.from({ length: size }, () => random.int(256));
      options.push(code >> 8, code & 0xff, size >> 8, size & 0xff, ...data);
    }
    const dnssecOk = random.int(2) === 0 ? 0x80 : 0;
    out.push(0, 0, 41, 0x10, 0x00, 0, 0, dnssecOk, 0, options.length >> 8, options.length & 0xff);
    out.push(...options);
  }
  return Uint8Array.from(out);
}

Deno.test("the upstream query from the client's bytes equals the one decoded and re-encoded", () => {
  const random = new Random(0x5eed);
  let short = 0;
  for (let n = 0; n < 20_000; n++) {
    const raw = randomQuery(random);
    const query = decodeMessage(raw);
    const head = peekQuery(raw) ?? headOf(query);
    const forwardClientSubnet = random.int(2) === 0;
    let decoded = false;
    const ctx = {
      raw,
      head,
      get query() {
        decoded = true;
        return query;
      },
    };
    const bytes = upstreamQueryBytes(ctx, forwardClientSubnet);
    if (!decoded) short++;
    const expected = encodeMessage(upstreamQuery(query, forwardClientSubnet));
    assert.deepEqual(bytes, expected, `query ${raw.toHex()}`);
  }
  assert.ok(short > 10_000, `${short} of 20,000 took the short way`);
});
