/**
 * The stored history across a stop of the real gateway: SIGTERM and SIGINT store every query
 * answered and its minute's statistics, each once; after SIGKILL the next start opens the file
 * as it was, with every query written before, and only the minute's statistics lost.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { knotUpstream } from "../support/knot_gateway.ts";
import { type KnotServer, startKnot } from "../support/knot.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "history-e2e-token-0123456789";
const QUERIES = 20;

async function admin(gateway: Gateway, path: string) {
  const response = await fetch(`${gateway.url}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

function start(knot: KnotServer, dataDir: string): Promise<Gateway> {
  return startGateway({
    env: {
      ADMIN_TOKEN,
      UPSTREAMS: knotUpstream(knot),
      LOG_QUERIES: "off",
      HISTORY: "on",
      DATA_DIR: dataDir,
    },
  });
}

/** `QUERIES` names of the test zone asked over DoH, each answered by knot (NXDOMAIN). */
async function ask(gateway: Gateway, prefix: string): Promise<void> {
  for (let i = 0; i < QUERIES; i++) await askDoh(gateway.url, `${prefix}${i}.${TEST_ZONE}`);
}

/** Rows stored, and queries the statistics count, as a fresh start on `dataDir` shows them. */
async function storedAfterRestart(
  knot: KnotServer,
  dataDir: string,
  check: (gateway: Gateway, rows: number, counted: number) => void,
): Promise<void> {
  const gateway = await start(knot, dataDir);
  try {
    const lines = gateway.stderr().split("\n").filter((line) => line.startsWith("history:"));
    assert.deepEqual(lines, [`history: ${dataDir}/history.db`], gateway.stderr());
    const log = await admin(gateway, "/admin/log?limit=200");
    const stats = await admin(gateway, "/admin/stats?range=1h");
    const counted = Object.values(stats.totals as Record<string, number>)
      .reduce((sum, n) => sum + n, 0);
    check(gateway, log.rows.length, counted);
  } finally {
    await gateway.stop();
  }
}

/** `body` with a fresh knot and a data directory of its own, both gone after. */
async function withKnotAndData(body: (knot: KnotServer, dataDir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "history-stops-" });
  const knot = await startKnot();
  try {
    await body(knot, `${dir}/data`);
  } finally {
    await knot.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name: `${signal}: every query answered is stored and counted once, the batch not yet sent too`,
    ...integration(["knotd"]),
    fn: () =>
      withKnotAndData(async (knot, dataDir) => {
        const gateway = await start(knot, dataDir);
        try {
          await ask(gateway, "stop");
          // At once: the batch waits for its second; the minute's counts are in memory.
          Deno.kill(gateway.pid, signal);
        } finally {
          assert.equal(await gateway.stop(), 0);
        }
        await storedAfterRestart(knot, dataDir, (_, rows, counted) => {
          assert.equal(rows, QUERIES);
          assert.equal(counted, QUERIES);
        });
      }),
  });
}

Deno.test({
  name:
    "SIGKILL: the next start opens the file with every query written before; only the minute's counts are lost",
  ...integration(["knotd"]),
  fn: () =>
    withKnotAndData(async (knot, dataDir) => {
      const gateway = await start(knot, dataDir);
      try {
        await ask(gateway, "kill");
        // Stored (a search does not write the minute's counts), then killed outright.
        await eventually(async () => {
          assert.equal((await admin(gateway, "/admin/log?limit=200")).rows.length, QUERIES);
        });
        Deno.kill(gateway.pid, "SIGKILL");
      } finally {
        await gateway.stop();
      }
      await storedAfterRestart(knot, dataDir, (_, rows, counted) => {
        assert.equal(rows, QUERIES);
        // The minute going on was in memory: lost, unless it had ended and been written.
        assert.ok(counted <= QUERIES, `${counted} counted`);
      });
      // And it goes on: later queries are stored beside them, none lost to a key taken.
      const again = await start(knot, dataDir);
      try {
        await ask(again, "again");
        await eventually(async () => {
          assert.equal((await admin(again, "/admin/log?limit=200")).rows.length, 2 * QUERIES);
        });
      } finally {
        await again.stop();
      }
    }),
});
