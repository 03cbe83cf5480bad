/**
 * `deno task blocklist sync` downloads every configured list now (into Redis when Redis is
 * configured, into the disk copies otherwise, so the next start has them), printing one line
 * per list. `deno task blocklist check <name>` says whether a name is blocked, and by which
 * entry of which list. Both read the same settings as the server (the environment).
 */
import { ConfigError, loadConfig } from "../config.ts";
import { normalizeDomain } from "../dns/domain_entry.ts";
import { createStore } from "../store/create.ts";
import { udpAvailable } from "../runtime/platform.ts";
import { createBlocklist } from "./create.ts";
import { describeRule } from "./decision.ts";
import { describeReport } from "./describe_report.ts";
import { openListCatalog } from "./list_catalog.ts";
import { blocklistProblem } from "./load_state.ts";

const USAGE = "usage: deno task blocklist sync | check <name>";

async function main(args: string[]): Promise<number> {
  const [command, name, ...rest] = args;
  if (
    !(command === "sync" && name === undefined) && !(command === "check" && name && !rest.length)
  ) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(Deno.env.toObject(), { udpAvailable: udpAvailable(), cwd: Deno.cwd() });
  const store = config.redis && await createStore(config.redis);
  const redis = config.redis && store ? { config: config.redis, store } : undefined;
  const { blocklist, sync: settingsSync } = await createBlocklist({
    config: config.blocklist,
    redis,
    poll: false,
  });
  // The lists the dashboard added or disabled too, as the server syncs them.
  const { sync } = openListCatalog({
    sources: config.blocklist.sources,
    dir: config.blocklist.dir,
    redis: redis && { store: redis.store, prefix: redis.config.prefix },
    cwd: Deno.cwd(),
    sync: settingsSync,
  });
  try {
    if (command === "sync") {
      const report = await sync.run(true);
      for (const line of describeReport(report)) console.log(line);
      return report.lists.some((list) => list.outcome === "failed") ? 1 : 0;
    }
    const normal = normalizeDomain(name);
    if ("reason" in normal) {
      console.error(`"${name}": ${normal.reason}`);
      return 2;
    }
    // Memory holds nothing until lists are loaded; Redis already holds them.
    if (!redis) { for (const line of describeReport(await sync.run())) console.error(line); }
    const decision = await blocklist.decide(normal.name);
    if (decision.verdict !== "none") {
      console.log(`${normal.name}: ${decision.verdict} by ${describeRule(decision.rule)}`);
      return 0;
    }
    if (!config.blocklist.sources.some((source) => source.kind === "block")) {
      console.log(`${normal.name}: not blocked (no block list is configured: BLOCKLIST_URLS)`);
      return 0;
    }
    const problem = await blocklistProblem(blocklist, config.blocklist.sources);
    if (problem === undefined) {
      console.log(`${normal.name}: not blocked (no list has it)`);
      return 0;
    }
    console.log(`${normal.name}: not blocked, but ${problem}`);
    return 1;
  } finally {
    blocklist.close();
    await store?.close();
  }
}

try {
  Deno.exit(await main(Deno.args));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  Deno.exit(2);
}
