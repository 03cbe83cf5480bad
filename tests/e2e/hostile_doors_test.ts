/**
 * The CI share of the doors fuzz (the full million: `deno task fuzz:doors`): 100,000 random
 * and mutated messages through DoH GET, DoH POST, the JSON API, UDP, TCP and DoT of the real
 * gateway at once, knot behind it. Every one is answered as the README promises (see
 * tests/support/door_fuzz.ts), and afterwards the gateway answers a good query on every door,
 * has printed nothing but its startup lines, and exits 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { DOORS, type FuzzDoor, fuzzDoor } from "../support/door_fuzz.ts";
import { startFuzzGateway } from "../support/fuzz_gateway.ts";

const MESSAGES: Record<FuzzDoor, number> = {
  "doh-get": 20_000,
  "doh-post": 20_000,
  json: 10_000,
  udp: 25_000,
  tcp: 15_000,
  dot: 10_000,
};
const SEED = 0xd00_0001;

Deno.test({
  name: "100,000 hostile messages through all six doors at once are each answered as documented",
  ...integration(["knotd", "openssl"]),
  async fn() {
    const gateway = await startFuzzGateway();
    let exited = false;
    try {
      const tallies = await Promise.all(
        DOORS.map((door, i) => fuzzDoor(gateway.target, door, MESSAGES[door], SEED + i)),
      );
      for (const tally of tallies) {
        assert.equal(
          tally.violations,
          0,
          `${tally.door}: ${JSON.stringify(tally.outcomes)}\n${tally.examples.join("\n")}`,
        );
        assert.equal(tally.sent, MESSAGES[tally.door]);
      }
      assert.deepEqual(await gateway.goodQueries(), [], "a good query still gets knot's answer");
      assert.equal(gateway.extraStderr(), "", "nothing on stderr but the startup lines");
      exited = true;
      assert.equal(await gateway.stop(), 0, "SIGTERM ends the process with 0");
    } finally {
      if (!exited) await gateway.stop();
    }
  },
});
