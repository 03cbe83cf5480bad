/**
 * The shared query-log stream on a real redis-server, fed by the real resolver's query log:
 * entries carry the client's name and profile, and a profile that logs nothing sends none.
 */
import assert from "node:assert/strict";
import { RType } from "../../dns/mod.ts";
import { QueryLogStream } from "../../observe/log_stream.ts";
import { createQueryLog } from "../../observe/query_log.ts";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { localResolver } from "../support/local_resolver.ts";
import { startRedis } from "../support/redis.ts";
import { REDIS_CLIENTS } from "../support/redis_clients.ts";
import { directoryByAddress, profileOf } from "../support/small_directory.ts";

Deno.test({
  name:
    "the shared stream carries the client's name and profile, and nothing of a profile that logs nothing",
  ...integration(["redis-server"]),
  async fn() {
    const redis = await startRedis();
    const [, connect] = REDIS_CLIENTS[0];
    const { store, close } = connect(redis);
    try {
      const stream = new QueryLogStream(store, { key: "t:log", maxLen: 100, instance: "one" });
      const log = createQueryLog({ toStdout: false, capacity: 10, stream });
      const directory = directoryByAddress({
        "192.0.2.1": { profile: profileOf("kids"), name: "Kids tablet" },
        "192.0.2.2": { profile: profileOf("guest", { log: "off" }), name: "Guest phone" },
      });
      const resolver = localResolver({ "www.example": ["192.0.2.80"] }, { log, directory });
      for (const address of ["192.0.2.1", "192.0.2.2", "192.0.2.9"]) {
        await resolver.resolve(makeQuery("www.example", RType.A), { address, door: "tcp" });
      }
      await stream.flush();
      const entries = (await stream.recent(10)).map(({ entry }) => entry);
      assert.deepEqual(
        entries.map(({ client, clientName, profile }) => ({ client, clientName, profile })),
        [
          { client: "192.0.2.9", clientName: undefined, profile: undefined },
          { client: "192.0.2.1", clientName: "Kids tablet", profile: "kids" },
        ],
      );
    } finally {
      await close();
      await redis.stop();
    }
  },
});
