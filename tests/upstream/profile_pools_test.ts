/**
 * ProfilePools: one pool per distinct upstream list, shared by the profiles naming it, at most
 * `maxPools` of them (the one used longest ago let go, closed once its queries have had their
 * time), and a profile's upstream URL that does not parse answered SERVFAIL, naming it.
 */
import assert from "node:assert/strict";
import { decodeMessage, Rcode, RType } from "../../dns/mod.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { plainProfile, type Profile } from "../../pipeline/profile.ts";
import { Resolver } from "../../pipeline/resolver.ts";
import { ProfilePools } from "../../upstream/profile_pools.ts";
import { forwardStage } from "../../upstream/stage.ts";
import { makeQuery } from "../support/dns_query.ts";
import { directoryOf, poolOf } from "../support/profiles.ts";

/** Pools over real transports (never asked here), their closing noted. */
function recordingPools(maxPools: number, closeDelayMs = 20) {
  const made: string[] = [];
  const closed: string[] = [];
  const pools = new ProfilePools({
    createPool: (specs) => {
      const key = specs.map((spec) => spec.url).join(" ");
      made.push(key);
      const pool = poolOf(specs.map((spec) => spec.url));
      return {
        resolve: (query, signal) => pool.resolve(query, signal),
        close: () => {
          closed.push(key);
          pool.close();
        },
      };
    },
    closeDelayMs,
    maxPools,
  });
  return { pools, made, closed };
}

const withUpstreams = (name: string, upstreams: string[]): Profile => ({
  ...plainProfile(name),
  upstreams,
});

Deno.test("profiles with the same upstreams share one pool; none of their own: no pool", () => {
  const { pools, made } = recordingPools(4);
  try {
    assert.equal(pools.poolFor(plainProfile()), undefined);
    const a = pools.poolFor(withUpstreams("a", ["udp://127.0.0.1:5301"]));
    const b = pools.poolFor(withUpstreams("b", ["udp://127.0.0.1:5301"]));
    assert.ok(a !== undefined && a === b);
    assert.deepEqual(made, ["udp://127.0.0.1:5301"]);
  } finally {
    pools.close();
  }
});

Deno.test("at most maxPools are kept; the one used longest ago is closed after the delay", async () => {
  const { pools, made, closed } = recordingPools(2);
  try {
    const one = withUpstreams("one", ["udp://127.0.0.1:5301"]);
    pools.poolFor(one);
    pools.poolFor(withUpstreams("two", ["udp://127.0.0.1:5302"]));
    pools.poolFor(one); // used again: two is now the oldest
    pools.poolFor(withUpstreams("three", ["udp://127.0.0.1:5303"]));
    assert.equal(pools.size, 2);
    assert.deepEqual(closed, [], "not while a query may still use it");
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(closed, ["udp://127.0.0.1:5302"]);
    pools.poolFor(withUpstreams("two again", ["udp://127.0.0.1:5302"]));
    assert.equal(made.length, 4, "made again when asked for");
  } finally {
    pools.close();
  }
  assert.equal(closed.length, 4, "every pool closed at the end");
});

Deno.test("a profile's upstream URL that does not parse is SERVFAIL naming it; others go on", async () => {
  const { pools } = recordingPools(2);
  const log = createQueryLog({ toStdout: false, capacity: 10 });
  const resolver = new Resolver({
    stages: [forwardStage({
      pool: { resolve: () => Promise.reject(new Error("the default pool is not asked here")) },
      profilePool: (profile) => pools.poolFor(profile),
      forwardClientSubnet: false,
    })],
    queryTimeoutMs: 500,
    log,
    directory: directoryOf({ "192.0.2.1": withUpstreams("bad", ["udp://dns.example"]) }),
  });
  try {
    const raw = makeQuery("www.example", RType.A, { id: 1 });
    const { bytes } = await resolver.resolve(raw, { address: "192.0.2.1", door: "udp" });
    assert.equal(decodeMessage(bytes).header.rcode, Rcode.SERVFAIL);
    assert.match(log.recent()[0].error ?? "", /invalid upstream "udp:\/\/dns\.example"/);
    assert.equal(pools.size, 0);
  } finally {
    pools.close();
  }
});
