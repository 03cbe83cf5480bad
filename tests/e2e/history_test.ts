/**
 * The query history in the real gateway: queries from two clients stored in SQLite under
 * DATA_DIR, then searched, paged and counted over the admin API; a damaged database file and a
 * data directory that cannot be made leave the gateway answering, each said in one line.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { doorPort, udpExchange } from "../support/dns_clients.ts";
import { makeQuery } from "../support/dns_query.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { GATEWAY_REDIS_CLIENTS, gatewayRedis } from "../support/gateway_redis.ts";
import { startKnot } from "../support/knot.ts";
import { withKnotGateway } from "../support/knot_gateway.ts";
import { startRedis } from "../support/redis.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const ADMIN_TOKEN = "history-e2e-token-0123456789";
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function admin(gateway: Gateway, path: string) {
  const response = await fetch(`${gateway.url}${path}`, { headers: auth });
  const text = await response.text();
  return { status: response.status, text, body: response.ok ? JSON.parse(text) : undefined };
}

function env(dataDir: string): Record<string, string> {
  return {
    ADMIN_TOKEN,
    LOG_QUERIES: "off",
    HISTORY: "on",
    DATA_DIR: dataDir,
    UDP_PORT: "0",
  };
}

Deno.test({
  name: "queries from two clients are searched, paged and counted over the admin API",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "history-e2e-" });
    try {
      await withKnotGateway({ env: env(`${dir}/data`) }, async (gateway) => {
        assert.match(gateway.stderr(), new RegExp(`^history: ${dir}/data/history.db$`, "m"));
        const blocked = await fetch(`${gateway.url}/admin/blocklist/custom/block`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ names: [`ads.${TEST_ZONE}`] }),
        });
        assert.equal(blocked.status, 200, await blocked.text());
        const udp = doorPort(gateway, "UDP");
        // 127.0.0.2 asks three names over UDP; 127.0.0.1 asks over DoH, once blocked.
        await udpExchange(
          udp,
          [
            makeQuery(`www.${TEST_ZONE}`, RType.A),
            makeQuery(`mail.${TEST_ZONE}`, RType.A),
            makeQuery(`nothing-here.${TEST_ZONE}`, RType.AAAA),
          ],
          300,
          "127.0.0.2",
        );
        await askDoh(gateway.url, `www.${TEST_ZONE}`, RType.AAAA);
        await askDoh(gateway.url, `ads.${TEST_ZONE}`);
        await eventually(async () => {
          const { body } = await admin(gateway, "/admin/log?limit=100");
          assert.equal(body.rows.length, 5);
        });
        const all = (await admin(gateway, "/admin/log")).body;
        assert.equal(all.source, "sqlite");
        assert.deepEqual(
          all.rows.map((r: { entry: { client: string; name: string } }) =>
            `${r.entry.client} ${r.entry.name}`
          ),
          [
            `127.0.0.1 ads.${TEST_ZONE}`,
            `127.0.0.1 www.${TEST_ZONE}`,
            `127.0.0.2 nothing-here.${TEST_ZONE}`,
            `127.0.0.2 mail.${TEST_ZONE}`,
            `127.0.0.2 www.${TEST_ZONE}`,
          ],
        );
        const www = all.rows[1];
        assert.equal(www.outcome, "answered");
        assert.match(www.answer, /^AAAA /);
        assert.equal(www.entry.door, "doh");
        assert.equal(all.rows[0].outcome, "blocked");
        assert.equal(all.rows[2].rcodeName, "NXDOMAIN");
        assert.equal(all.entries[2].entry.type, "AAAA", "the older shape is still there");

        const names = async (query: string) =>
          (await admin(gateway, `/admin/log?${query}`)).body.rows.map((r: {
            entry: { name: string };
          }) => r.entry.name);
        assert.deepEqual(await names("name=WWW"), [`www.${TEST_ZONE}`, `www.${TEST_ZONE}`]);
        assert.deepEqual(await names("client=127.0.0.2&type=AAAA"), [`nothing-here.${TEST_ZONE}`]);
        // A blocked name is answered NXDOMAIN too; its outcome tells it apart.
        assert.deepEqual(await names("rcode=NXDOMAIN"), [
          `ads.${TEST_ZONE}`,
          `nothing-here.${TEST_ZONE}`,
        ]);
        assert.deepEqual(await names("rcode=3&outcome=answered"), [`nothing-here.${TEST_ZONE}`]);
        assert.deepEqual(await names("outcome=blocked"), [`ads.${TEST_ZONE}`]);
        assert.deepEqual(await names(`to=${new Date(Date.now() - 3_600_000).toISOString()}`), []);

        // Pages of two, newest first, until `next` is absent.
        const paged: string[] = [];
        let cursor = "";
        for (let page = 0; page < 5; page++) {
          const { body } = await admin(gateway, `/admin/log?limit=2${cursor}`);
          paged.push(...body.rows.map((r: { entry: { name: string } }) => r.entry.name));
          if (body.next === undefined) break;
          cursor = `&cursor=${body.next}`;
        }
        assert.deepEqual(paged, all.rows.map((r: { entry: { name: string } }) => r.entry.name));

        for (
          const [query, parameter] of [
            ["limit=0", "limit"],
            ["type=NOPE", "type"],
            ["rcode=SOMETIMES", "rcode"],
            ["outcome=maybe", "outcome"],
            ["from=yesterday", "from"],
            ["cursor=abc", "cursor"],
          ]
        ) {
          const refused = await admin(gateway, `/admin/log?${query}`);
          assert.equal(refused.status, 400, query);
          assert.match(refused.text, new RegExp(`^${parameter}=`), query);
        }

        const stats = (await admin(gateway, "/admin/stats?range=24h")).body;
        assert.equal(stats.source, "sqlite");
        assert.equal(stats.buckets.length, 24);
        assert.deepEqual(stats.totals, { answered: 4, cached: 0, blocked: 1, failed: 0 });
        assert.deepEqual(stats.topClients, [
          { client: "127.0.0.2", count: 3 },
          { client: "127.0.0.1", count: 2 },
        ]);
        assert.deepEqual(stats.topBlocked, [{ name: `ads.${TEST_ZONE}`, count: 1 }]);
        assert.equal(stats.upstreams[0].count, 4);
        const one = (await admin(gateway, "/admin/stats?range=1h&client=127.0.0.1")).body;
        assert.deepEqual(one.totals, { answered: 1, cached: 0, blocked: 1, failed: 0 });
        assert.equal((await admin(gateway, "/admin/stats?range=2h")).status, 400);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a damaged history file is moved aside and made anew; the gateway answers throughout",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "history-e2e-" });
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/history.db`, "SQLite format 3\0".padEnd(4096, "x"));
    try {
      await withKnotGateway({ env: env(`${dir}/data`) }, async (gateway) => {
        const lines = gateway.stderr().split("\n").filter((line) => line.startsWith("history:"));
        assert.equal(lines.length, 1, gateway.stderr());
        assert.match(lines[0], /history\.db was damaged \(.*\): moved to .*\.bad-\d+, made anew$/);
        assert.equal((await askDoh(gateway.url, `www.${TEST_ZONE}`)).reply.header.rcode, 0);
        await eventually(async () => {
          assert.equal((await admin(gateway, "/admin/log")).body.rows.length, 1);
        });
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a data directory that cannot be made turns history off in one line; memory serves",
  ...integration(["knotd"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "history-e2e-" });
    await Deno.writeTextFile(`${dir}/file`, "");
    try {
      await withKnotGateway({ env: env(`${dir}/file/data`) }, async (gateway) => {
        const lines = gateway.stderr().split("\n").filter((line) => line.startsWith("history:"));
        assert.equal(lines.length, 1, gateway.stderr());
        assert.match(lines[0], /^history: off: cannot make .*\/file\/data: .*; kept in memory$/);
        assert.equal((await askDoh(gateway.url, `www.${TEST_ZONE}`)).reply.header.rcode, 0);
        await eventually(async () => {
          const { body } = await admin(gateway, "/admin/log");
          assert.equal(body.source, "memory");
          assert.equal(body.rows.length, 1);
          const stats = (await admin(gateway, "/admin/stats?range=1h")).body;
          assert.equal(stats.source, "memory");
          assert.equal(stats.totals.answered, 1);
        });
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("by default (HISTORY=auto) history is stored with a core to spare, and not on one core", async () => {
  const dir = await Deno.makeTempDir({ prefix: "history-auto-" });
  const auto = (cpu?: number) =>
    startGateway({
      cpu,
      // No upstream answers (none is needed): a SERVFAIL is stored as any answer is.
      env: {
        ...env(`${dir}/data`),
        HISTORY: "",
        UDP_PORT: "",
        UPSTREAMS: "https://127.0.0.1:9/dns-query",
      },
    });
  try {
    const pinned = await auto(0);
    try {
      const line = pinned.stderr().split("\n").find((text) => text.startsWith("history:"));
      assert.equal(
        line,
        "history: off (HISTORY=auto: 1 core for 1 answering process, none to spare): " +
          "recent queries and statistics in memory",
      );
    } finally {
      await pinned.stop();
    }
    const cores = navigator.hardwareConcurrency;
    if (cores < 2) return;
    const free = await auto();
    try {
      assert.match(
        free.stderr(),
        new RegExp(
          `^history: ${dir}/data/history.db \\(HISTORY=auto: ${cores} cores for 1 answering process\\)$`,
          "m",
        ),
      );
      await askDoh(free.url, `www.${TEST_ZONE}`);
      await eventually(async () => {
        const { body } = await admin(free, "/admin/log");
        assert.equal(body.source, "sqlite");
      });
    } finally {
      await free.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run as Deno Deploy runs it (no file writes), history is off in one line; memory serves", async () => {
  // No upstream answers (none is needed): a SERVFAIL is logged as any answer is.
  const gateway = await startGateway({
    deployLike: true,
    env: { ...env("/nonexistent/data"), UDP_PORT: "", UPSTREAMS: "https://127.0.0.1:9/dns-query" },
  });
  try {
    const lines = gateway.stderr().split("\n").filter((line) => line.startsWith("history:"));
    assert.equal(lines.length, 1, gateway.stderr());
    assert.match(lines[0], /^history: off: cannot make \/nonexistent\/data: .*; kept in memory$/);
    await askDoh(gateway.url, `www.${TEST_ZONE}`);
    await eventually(async () => {
      const { body } = await admin(gateway, "/admin/log");
      assert.equal(body.source, "memory");
      assert.equal(body.rows[0].outcome, "failed");
    });
  } finally {
    await gateway.stop();
  }
});

for (const client of GATEWAY_REDIS_CLIENTS) {
  Deno.test({
    name: `two instances on one Redis show the same totals, each adding its own (${client})`,
    ...integration(["knotd", "redis-server"]),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "history-e2e-" });
      const knot = await startKnot();
      const redis = await startRedis();
      const { env: redisEnv, bridge } = gatewayRedis(client, redis);
      const base = { ...env(""), UPSTREAMS: `udp://127.0.0.1:${knot.port}`, ...redisEnv };
      const a = await startGateway({ env: { ...base, DATA_DIR: `${dir}/a`, INSTANCE_NAME: "a" } });
      const b = await startGateway({ env: { ...base, DATA_DIR: `${dir}/b`, INSTANCE_NAME: "b" } });
      try {
        await askDoh(a.url, `www.${TEST_ZONE}`);
        await askDoh(a.url, `mail.${TEST_ZONE}`);
        await askDoh(b.url, `www.${TEST_ZONE}`, RType.AAAA);
        await eventually(async () => {
          for (const gateway of [a, b]) {
            const stats = (await admin(gateway, "/admin/stats?range=1h")).body;
            assert.equal(stats.source, "redis");
            assert.equal(stats.totals.answered, 3);
            assert.deepEqual(stats.topNames[0], { name: `www.${TEST_ZONE}`, count: 2 });
          }
        });
        // Searches stay with each instance's own SQLite file.
        const seenByB = (await admin(b, "/admin/log")).body;
        assert.equal(seenByB.source, "sqlite");
        assert.equal(seenByB.rows.length, 1);
      } finally {
        await a.stop();
        await b.stop();
        await bridge?.close();
        await redis.stop();
        await knot.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
