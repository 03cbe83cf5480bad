import assert from "node:assert/strict";
import { AddressProof, PROOF_LIFETIME_MS } from "../../doors/address_proof.ts";

const CLIENT = Uint8Array.from({ length: 8 }, (_, i) => i + 1);
const OTHER_CLIENT = Uint8Array.from({ length: 8 }, (_, i) => i + 2);

function clock(start = 1_800_000_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

Deno.test("a server cookie proves the address and client cookie it was made for, and no other", () => {
  const { now } = clock();
  const proof = new AddressProof({ now });
  const server = proof.serverCookie("192.0.2.1", CLIENT);
  assert.equal(server.length, 12);
  assert.equal(proof.proves("192.0.2.1", { client: CLIENT, server }), true);
  assert.equal(proof.proves("192.0.2.2", { client: CLIENT, server }), false);
  assert.equal(proof.proves("192.0.2.1", { client: OTHER_CLIENT, server }), false);
  assert.equal(proof.proves("192.0.2.1", { client: CLIENT }), false);
  assert.equal(proof.proves("192.0.2.1", undefined), false);
  const forged = server.slice();
  forged[11] ^= 1;
  assert.equal(proof.proves("192.0.2.1", { client: CLIENT, server: forged }), false);
  assert.equal(proof.proves("192.0.2.1", { client: CLIENT, server: server.subarray(0, 8) }), false);
});

Deno.test("a server cookie holds for an hour, and one from the future only within the skew", () => {
  const { time, now } = clock();
  const proof = new AddressProof({ now });
  const server = proof.serverCookie("2001:db8::1", CLIENT);
  time.now += PROOF_LIFETIME_MS - 1000;
  assert.equal(proof.proves("2001:db8::1", { client: CLIENT, server }), true);
  time.now += 1000;
  assert.equal(proof.proves("2001:db8::1", { client: CLIENT, server }), false);
  const ahead = new AddressProof({ now: () => time.now + 10 * 60_000 }).serverCookie(
    "2001:db8::1",
    CLIENT,
  );
  assert.equal(proof.proves("2001:db8::1", { client: CLIENT, server: ahead }), false);
});

Deno.test("instances sharing a secret accept each other's cookies; others do not", () => {
  const { now } = clock();
  const secret = new Uint8Array(16).fill(7);
  const server = new AddressProof({ now, secret }).serverCookie("192.0.2.1", CLIENT);
  assert.equal(
    new AddressProof({ now, secret }).proves("192.0.2.1", { client: CLIENT, server }),
    true,
  );
  assert.equal(new AddressProof({ now }).proves("192.0.2.1", { client: CLIENT, server }), false);
});

Deno.test("a query over a connection proves its address for an hour", () => {
  const { time, now } = clock();
  const proof = new AddressProof({ now });
  proof.sawOverConnection("192.0.2.1");
  assert.equal(proof.proves("192.0.2.1", undefined), true);
  assert.equal(proof.proves("192.0.2.2", undefined), false);
  time.now += PROOF_LIFETIME_MS / 2;
  proof.sawOverConnection("192.0.2.1");
  time.now += PROOF_LIFETIME_MS - 1;
  assert.equal(proof.proves("192.0.2.1", undefined), true, "refreshed by the second query");
  time.now += 1;
  assert.equal(proof.proves("192.0.2.1", undefined), false);
});

Deno.test("the table of addresses seen over connections stays within its bound, oldest out first", () => {
  const { time, now } = clock();
  const proof = new AddressProof({ now, maxAddresses: 64 });
  for (let i = 0; i < 1000; i++) {
    proof.sawOverConnection(`10.0.${i >> 8}.${i & 255}`);
    time.now += 1;
  }
  assert.ok(proof.size <= 64, `${proof.size} addresses held`);
  assert.equal(proof.proves("10.0.3.231", undefined), true, "the newest is kept");
  assert.equal(proof.proves("10.0.0.0", undefined), false, "the oldest went");
});
