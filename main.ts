/**
 * Wiring only (DESIGN §2): config -> dependencies -> app + listeners. `deno task start`.
 */
import { createBlocklist } from "./blocklist/create.ts";
import { scheduleSync } from "./blocklist/schedule.ts";
import { openListCatalog } from "./blocklist/list_catalog.ts";
import { BlockingPause } from "./blocklist/pause.ts";
import type { History } from "./observe/history.ts";
import { HistoryBatcher } from "./observe/history_batcher.ts";
import type { OpenHistory } from "./observe/history_stores.ts";
import { AnswerCache } from "./cache/answer_cache.ts";
import { isSubdomainOf } from "./dns/mod.ts";
import type { SharedTier } from "./cache/shared_tier.ts";
import { createStore } from "./store/create.ts";
import { checkListFiles, type Config, ConfigError, loadConfig, readSettingFile } from "./config.ts";
import { Metrics } from "./observe/metrics.ts";
import { clientPrivacy } from "./observe/client_privacy.ts";
import type { QueryLogStream } from "./observe/log_stream.ts";
import { createLineWriter, PIPE_BUF } from "./observe/line_writer.ts";
import { createQueryLog } from "./observe/query_log.ts";
import { QueryStats } from "./observe/stats.ts";
import { buildChain } from "./pipeline/chain.ts";
import { lightTimeout, useRuntimeTimers } from "./runtime/light_timer.ts";
import { AnswerMemo } from "./pipeline/answer_memo.ts";
import { Resolver } from "./pipeline/resolver.ts";
import type { LiveRecords, LiveRecordsOptions } from "./records/live.ts";
import { lazyApp } from "./routes/lazy_app.ts";
import { CidrSet } from "./net/cidr.ts";
import type { OpenDoors } from "./doors/classic_doors.ts";
import { ClientRefusals, RateLimiter } from "./net/rate_limit.ts";
import type { WorkerGroup } from "./doors/workers.ts";
import { noDelayOnListener } from "./runtime/tcp_nodelay.ts";
import { newDoorStats } from "./doors/connection_table.ts";
import {
  httpConnectionCap,
  raiseDescriptorLimit,
  upstreamSocketCap,
  upstreamSockets,
} from "./runtime/descriptor_limit.ts";
import { type HttpDoor, serveHttp } from "./doors/http_door.ts";
import { createTransport } from "./upstream/create.ts";
import { UpstreamPool } from "./upstream/pool.ts";
import { UpstreamRouter } from "./upstream/router.ts";
import type { UpstreamSpec } from "./upstream/url.ts";
import { runtimeTooOld, udpAvailable } from "./runtime/platform.ts";
import type { OpenPolicy } from "./clients/open.ts";
import type { RedisStore } from "./store/redis.ts";

const QUERY_LOG_CAPACITY = 1000;
/**
 * Lists start loading this long after startup: a fresh process answers its first queries
 * (clients that waited for the restart) at full speed, then loads lists between answers.
 */
const LIST_START_DELAY_MS = 500;
/**
 * The routes but DoH's (Hono, the dashboard, the admin API) load this long after startup, in
 * the background: the first DoH answers do not wait for them (routes/lazy_app.ts). Timers turn
 * into setTimeout ones then too (runtime/light_timer.ts).
 */
const APP_PRELOAD_DELAY_MS = 200;
/** How much longer than a query's budget shutdown waits for answers under way. */
const SHUTDOWN_MARGIN_MS = 1000;
/** Longest the listening line waits for the history's (its worker opening the file). */
const HISTORY_LINE_WAIT_MS = 3000;
/** Where the history's line goes in the startup lines, once known. */
const HISTORY_LINE = "\u0000history\u0000";

async function main(): Promise<void> {
  const config = loadConfig(Deno.env.toObject(), { udpAvailable: udpAvailable(), cwd: cwd() });
  // Before any await: Deno Deploy takes cron jobs only while the module first evaluates.
  const schedule = scheduleSync({
    refreshMs: config.blocklist.refreshMs,
    startDelayMs: LIST_START_DELAY_MS,
  });
  const caCerts = config.upstreamCaFile
    ? [await readSettingFile("UPSTREAM_CA_FILE", config.upstreamCaFile)]
    : undefined;
  const tls = config.tls && {
    cert: await readSettingFile("TLS_CERT", config.tls.certFile),
    key: await readSettingFile("TLS_KEY", config.tls.keyFile),
  };
  await checkListFiles(config.blocklist.sources);

  const createPool = (specs: UpstreamSpec[]) =>
    new UpstreamPool(
      specs.map((spec) => createTransport(spec, { caCerts })),
      {
        attemptTimeoutMs: config.upstreamTimeoutMs,
        onAttempt: (attempt) => {
          metrics.recordAttempt(attempt);
          stats.recordAttempt(attempt);
        },
      },
    );
  const pool = createPool(config.upstreams);
  // Forward zones come from the records file; a pool that leaves them may still be in use.
  const router = new UpstreamRouter({ createPool, closeDelayMs: config.queryTimeoutMs });
  const records = config.recordsFile === undefined ? undefined : await openRecords(
    config.recordsFile,
    {
      udpAvailable: udpAvailable(),
      onLoad: (file) => router.update(file.forwards),
      report: (line) => console.error(line),
    },
  );
  const redis = config.redis;
  const store = redis && await createStore(redis);
  // What only Redis, records, TLS or the classic doors need is imported only when configured:
  // every module a fresh process loads delays its first answer (tests/startup_graph_test.ts).
  const shared: SharedTier | undefined = redis && store
    ? new (await import("./cache/shared_tier.ts")).SharedTier(store, {
      prefix: `${redis.prefix}cache:`,
      onError: reportOncePerMinute("shared cache"),
    })
    : undefined;
  const policy = config.profilesFile !== undefined || (redis && store)
    ? await openProfiles(config, redis && store ? { store, prefix: redis.prefix } : undefined)
    : undefined;
  const { blocklist, sync: settingsSync } = await createBlocklist({
    config: config.blocklist,
    redis: redis && store ? { config: redis, store } : undefined,
    poll: true,
    shareSets: true,
    onError: reportOncePerMinute("blocklist"),
    onResync: (report) =>
      void import("./blocklist/describe_report.ts").then(({ describeReport }) =>
        describeReport(report).forEach((line) => console.error(line))
      ),
  });
  // The settings' lists and those the dashboard added or disabled (kept in Redis, else under
  // BLOCKLIST_DIR); every sync reads them first.
  const { catalog: lists, sync } = openListCatalog({
    sources: config.blocklist.sources,
    dir: config.blocklist.dir,
    redis: redis && store ? { store, prefix: redis.prefix } : undefined,
    cwd: cwd(),
    sync: settingsSync,
    onError: reportOncePerMinute("list catalog"),
  });
  const blocklistStats = { blocked: 0, allowed: 0, errors: 0, rebinding: 0 };
  // Paused from the dashboard or the admin API; shared through Redis when there is one.
  const pause = new BlockingPause({
    redis: redis && store ? { store, prefix: redis.prefix } : undefined,
    onError: reportOncePerMinute("blocking pause"),
  });
  // Rebinding protection lets REBIND_ALLOW's domains be, and forward zones' names: their
  // private resolvers answer private names.
  const rebindAllow = config.rebinding?.allow ?? [];
  const rebinding = config.rebinding && {
    exempt: (name: string) =>
      rebindAllow.some((domain) => isSubdomainOf(name, domain)) || router.route(name) !== undefined,
  };
  const answerCache = config.cache && new AnswerCache(config.cache);
  const stream: QueryLogStream | undefined = redis && store && config.logStreamMax > 0
    ? new (await import("./observe/log_stream.ts")).QueryLogStream(store, {
      key: `${redis.prefix}log`,
      maxLen: config.logStreamMax,
      instance: config.instanceName,
      onError: reportOncePerMinute("query log stream"),
    })
    : undefined;
  const stats = new QueryStats();
  // The history's stores (SQLite's worker, Redis's counters) open once the door is open: a
  // first answer needs none of them. Queries answered meanwhile wait in the batcher.
  const historyBatcher = new HistoryBatcher({ sinks: [] });
  /** This process's number among the workers (WORKERS): known before any door opens. */
  let worker = 1;
  let historyOpened: OpenHistory | undefined;
  let historyOpening: Promise<OpenHistory> | undefined;
  const openedHistory = () =>
    historyOpening ??= (async () => {
      const { openHistory } = await import("./observe/history_stores.ts");
      // With Redis, statistics of every instance there, and searches of its stream without
      // SQLite.
      const sharedHistory = redis && store
        ? new (await import("./observe/redis_history.ts")).RedisHistory(store, {
          prefix: `${redis.prefix}history:`,
          statsRetentionMs: config.history.statsRetentionMs,
          stream,
          onError: reportOncePerMinute("history"),
        })
        : undefined;
      return historyOpened = await openHistory({
        config: config.history,
        // Workers share DATA_DIR's file, each making keys of its own (it opens once they run).
        writer: { index: worker - 1, count: config.workers },
        shared: sharedHistory,
        sharedSearches: stream !== undefined,
        log: { recent: () => log.recent(), answerOf: (entry) => log.answerOf(entry) },
        report: (line) => console.error(line),
        batcher: historyBatcher,
      });
    })();
  const history: History = {
    search: (search) => openedHistory().then((opened) => opened.history.search(search)),
    stats: (range, client) => openedHistory().then((opened) => opened.history.stats(range, client)),
  };
  const httpStats = newDoorStats();
  // Strangers refused at every door, when a client directory answers only known clients.
  const refusals = new ClientRefusals();
  const metrics = new Metrics({
    cache: answerCache && (() => answerCache.stats()),
    sharedCache: shared && (() => shared.stats()),
    blocklist: { stats: blocklistStats, summary: () => blocklist.summary() },
    logStreamErrors: () => stream?.errors ?? 0,
    udpDoor: () => running.doors?.udpStats,
    redisCalls: store && (() => store.callCounts()),
    doors: () => ({ http: httpStats, ...running.doors?.stats }),
    clientsRefused: () => refusals.counts,
    historyDropped: () => historyOpened?.dropped() ?? historyBatcher.dropped,
  });
  const privacy = await clientPrivacy(config.logClient.mode, config.logClient.key);
  // A profile that hashes gets pseudonyms from its first line (one added later, from its
  // second: its first is logged without a client, never with the address).
  if (policy?.directory.current.doc.profiles.some((profile) => profile.log === "hash")) {
    await privacy.pseudonyms.load();
  }
  const log = createQueryLog({
    toStdout: config.logQueries,
    // Workers share stdout: each write whole lines a pipe will not mix with another's.
    print: config.logQueries && config.workers > 1
      ? createLineWriter(Deno.stdout, { maxWriteBytes: PIPE_BUF })
      : undefined,
    capacity: QUERY_LOG_CAPACITY,
    client: privacy,
    observers: [
      (entry) => metrics.record(entry),
      (entry) => stats.record(entry),
      (entry, answer) => historyBatcher.record(entry, answer),
    ],
    stream,
  });
  const cache = config.cache && answerCache && {
    cache: answerCache,
    shared,
    prefetchHits: config.cache.prefetchHits,
    refreshTimeoutMs: config.queryTimeoutMs,
    onRefreshError: (error: unknown) => console.error(`prefetch failed: ${error}`),
  };
  // Profiles' own upstreams and safe search only where there are profiles.
  const profilePools = policy &&
    new (await import("./upstream/profile_pools.ts")).ProfilePools({
      createPool,
      closeDelayMs: config.queryTimeoutMs,
    });
  const stages = buildChain({
    safeSearch: policy && (await import("./blocklist/safe_search.ts")).safeSearchStage,
    local: records && (await import("./records/stage.ts")).localStage({ records }),
    forward: {
      pool,
      route: (name) => router.route(name),
      profilePool: profilePools && ((profile) => profilePools.poolFor(profile)),
      forwardClientSubnet: config.forwardClientSubnet,
    },
    blocklist: {
      blocklist,
      answer: { response: config.blocklist.response, ttl: config.blocklist.ttl },
      failMode: redis?.failMode ?? "open",
      onError: reportOncePerMinute("blocklist"),
      stats: blocklistStats,
      rebinding,
      pause,
    },
    cache,
  });
  // Every owner of state answers depend on: a change in any ends the remembered answers.
  const memo = new AnswerMemo();
  memo.dependOn(blocklist);
  memo.dependOn(pause);
  if (records) memo.dependOn(records);
  if (answerCache) memo.dependOn(answerCache);
  if (policy) memo.dependOn(policy.directory);
  const resolver = new Resolver({
    stages,
    queryTimeoutMs: config.queryTimeoutMs,
    log,
    memo,
    directory: policy?.directory,
  });
  // The "why" of an answer under a client's profile (the admin API, the dashboard).
  const profileFor = policy && ((who: string) => policy.directory.current.profileFor(who));
  const app = lazyApp({
    resolver,
    bodyTimeoutMs: config.httpBodyTimeoutMs,
    trustedProxies: config.trustedProxies && new CidrSet(config.trustedProxies),
    rateLimiter: config.dohRate && new RateLimiter(config.dohRate),
    directory: policy?.directory,
    refusals,
    metrics,
    metricsToken: config.metricsToken,
    health: {
      problems: async () => {
        const { blocklistProblem } = await import("./blocklist/load_state.ts");
        const problem = await blocklistProblem(blocklist, lists.sources());
        return problem === undefined ? [] : [problem];
      },
    },
    admin: {
      token: config.adminToken,
      blocklist: { blocklist, sync, stats: blocklistStats },
      log: { history, instance: config.instanceName },
      stats: { history },
      cache: { cache: answerCache, shared },
      why: { records, blocklist, cache: answerCache, profileFor, rebinding },
      profiles: policy && { directory: policy.directory, store: policy.store },
      pause,
    },
    dashboard: {
      token: config.adminToken,
      listSources: config.blocklist.sources,
      // In Redis, so every instance sharing it knows the sessions; in memory without it.
      sessions: redis && store
        ? new (await import("./routes/sessions.ts")).RedisSessions(store, { prefix: redis.prefix })
        : undefined,
      instance: config.instanceName,
      stats,
      log,
      blocklist,
      cache: answerCache,
      records,
      rebinding,
      profileFor,
      profiles: policy && { directory: policy.directory, store: policy.store },
      pause,
      lists: { catalog: lists, sync },
      history,
    },
  });

  // Signals are handled before the door opens, so a stop request never meets the default
  // handler (exit 143) however early it comes.
  const running: {
    server?: HttpDoor;
    doors?: OpenDoors;
    workers?: WorkerGroup;
    listFiles?: { close(): void };
  } = {};
  let stopping: Promise<void> | undefined;
  // Once, however many ask: a signal, a second signal, a worker that went away.
  const stop = (code = 0) => stopping ??= shutdown(code);
  const shutdown = async (code: number) => {
    // Every query under way is answered within its budget: that bounds the wait. The HTTP
    // server would also wait for a request whose body stopped arriving, for ever: not longer.
    const graceMs = config.queryTimeoutMs + SHUTDOWN_MARGIN_MS;
    const { waitAtMost } = await import("./runtime/wait_at_most.ts");
    await Promise.all([
      waitAtMost(graceMs, running.server?.shutdown()),
      running.doors?.shutdown(graceMs),
      running.workers?.stop(),
    ]);
    schedule.stop();
    running.listFiles?.close();
    blocklist.close();
    pause.close();
    records?.close();
    policy?.close();
    router.close();
    profilePools?.close();
    pool.close();
    await shared?.flush();
    await waitAtMost(SHUTDOWN_MARGIN_MS, historyOpening?.then((opened) => opened.close()));
    await stream?.flush();
    await store?.close();
    // A batch still being written would be lost at exit: it goes first.
    await waitAtMost(SHUTDOWN_MARGIN_MS, log.settled());
    log.flush();
    Deno.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => void stop());
    } catch {
      // No signals where the platform owns the process (Deno Deploy).
    }
  }

  // With WORKERS > 1 the first process starts the others, which stop when it goes.
  if (config.workers > 1) {
    const workers = await import("./doors/workers.ts");
    worker = workers.workerNumber();
    if (worker === 1) {
      // Every worker answers UDP, and a client's next query may reach another: one key for the
      // server cookies of all, so a cookie one gave proves the address at every one.
      config.dns.cookieSecret ??= crypto.getRandomValues(new Uint8Array(16));
      running.workers = workers.startWorkers(config.workers, (line) => {
        console.error(`${line}: stopping every worker`);
        void stop(1);
      }, { DNS_COOKIE_SECRET: config.dns.cookieSecret.toHex() });
    } else {
      workers.stopWithFirstWorker(() => void stop());
    }
  }
  const { udpPort, tcpPort, dotPort } = config.dns;
  if (udpPort !== undefined || tcpPort !== undefined || dotPort !== undefined) {
    const { openDoors } = await import("./doors/classic_doors.ts");
    running.doors = openDoors(config, {
      resolver,
      tls,
      onError: reportOncePerMinute("DNS door"),
      worker: config.workers > 1 ? { first: worker === 1 } : undefined,
      directory: policy?.directory,
      refusals,
    });
  }
  const doorLines = (running.doors?.lines ?? []).map((line) => `${line}\n`).join("");
  // Connections are descriptors: the HTTP door's cap must fit below the limit with the others'.
  const descriptors = raiseDescriptorLimit();
  const streamDoors = [tcpPort, dotPort].filter((port) => port !== undefined).length;
  const httpCap = httpConnectionCap(
    config.httpMaxConnections,
    streamDoors * config.dns.tcpMaxConnections,
  );
  // And what they leave bounds the queries under way upstream, each a socket of its own.
  const socketCap = upstreamSocketCap(httpCap.max, streamDoors * config.dns.tcpMaxConnections);
  upstreamSockets.max = socketCap.max;
  const spent = reportOncePerMinute("upstream sockets");
  upstreamSockets.onRefused = (refused) =>
    spent(
      `all ${upstreamSockets.max} in use: queries past them answered SERVFAIL (${refused} so far)`,
    );
  const scheme = tls ? "https" : "http";
  running.server = await listen(config, () =>
    serveHttp({
      hostname: config.host,
      port: config.httpPort,
      reusePort: config.workers > 1,
      tls,
      maxConnections: httpCap.max,
      stats: httpStats,
      onAcceptError: reportOncePerMinute("HTTP door: cannot accept a connection, pausing"),
      onListen: ({ hostname, port }) => {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        // Before the first connection: accepted sockets inherit it (see tcp_nodelay.ts).
        const noDelay = noDelayOnListener(port);
        // One write, the "listening" line last: whoever waits for it has seen everything
        // (with workers, only once every one of them listens too).
        const print = (text: string) => console.error(text);
        const workers = running.workers;
        // A worker that exits before it listens has been reported (and stops us) already.
        // The history's line comes from its worker once the file is open, within a bound.
        const historyLine = Promise.race([
          openedHistory().then((opened) => opened.line),
          new Promise<string>((resolve) =>
            lightTimeout(HISTORY_LINE_WAIT_MS, () => resolve("history: still opening"))
          ),
        ]);
        const announce = (text: string) =>
          Promise.all([workers?.ready, historyLine]).then(
            ([, line]) => print(text.replace(HISTORY_LINE, line)),
            () => {},
          );
        announce(
          `upstreams: ${config.upstreams.map((u) => u.url).join(", ")}\n` +
            (store ? `redis: ${store.description}\n` : "") +
            (records ? `records: ${records.path}: ${records.description}\n` : "") +
            (policy ? `${policy.line}\n` : "") +
            `blocklist: ${blocklist.description}, ${config.blocklist.sources.length} lists configured\n` +
            `${HISTORY_LINE}\n` +
            (config.adminToken ? "admin API: on\n" : "") +
            doorLines +
            `${descriptors}\n${httpCap.line}\n${socketCap.line && `${socketCap.line}\n`}` +
            `TCP_NODELAY: ${noDelay}\n` +
            `DoH listening on ${scheme}://${host}:${port}/dns-query`,
        );
      },
    }, app.fetch));
  lightTimeout(APP_PRELOAD_DELAY_MS, () => {
    useRuntimeTimers();
    void app.preload();
  });
  // The first TLS handshake of a process is slow: pay it now, not on a client's connection.
  if (tls) {
    const port = (running.server.addr as Deno.NetAddr).port;
    void import("./doors/tls_warmup.ts").then(({ warmTls }) =>
      warmTls(config.host, port, tls.cert)
    );
  }
  // Lists load in the background, a little later: the door answers at once, unfiltered until
  // they are in.
  schedule.start(sync);
  records?.watch();
  // Local list files are read again when they change (loaded only when there are some).
  if (config.blocklist.sources.some((source) => !/^https?:/i.test(source.location))) {
    const { watchListFiles } = await import("./blocklist/list_files.ts");
    running.listFiles = watchListFiles(
      config.blocklist.sources,
      (name) => schedule.reload([name]),
      (line) => console.error(line),
    );
  }
  policy?.watch();
}

/**
 * The profiles at startup (clients/open.ts), loaded only when there is a profiles file or
 * Redis: a mistake in the file is a config error (exit 2), like a bad setting.
 */
async function openProfiles(
  config: Config,
  redis: { store: RedisStore; prefix: string } | undefined,
): Promise<OpenPolicy> {
  const { openPolicy, ProfilesFileError, ProfilesFileUnreadable } = await import(
    "./clients/open.ts"
  );
  const names = (kind: string) =>
    config.blocklist.sources.filter((source) => source.kind === kind).map((source) => source.name);
  try {
    return await openPolicy({
      file: config.profilesFile,
      redis,
      restricted: config.clientsOnly,
      context: {
        blocklists: names("block"),
        allowlists: names("allow"),
        udpAvailable: udpAvailable(),
      },
      report: (line) => console.error(line),
    });
  } catch (error) {
    if (error instanceof ProfilesFileError) {
      throw new ConfigError(`PROFILES_FILE: ${error.message}`);
    }
    if (error instanceof ProfilesFileUnreadable) {
      throw new ConfigError(`PROFILES_FILE="${config.profilesFile}": ${error.message}`);
    }
    throw error;
  }
}

/** The records file at startup: a mistake in it is a config error (exit 2), like a bad setting. */
async function openRecords(
  path: string,
  options: LiveRecordsOptions,
): Promise<LiveRecords> {
  const { LiveRecords, RecordsFileError } = await import("./records/live.ts");
  try {
    return await LiveRecords.open(path, options);
  } catch (error) {
    if (error instanceof RecordsFileError) {
      throw new ConfigError(`RECORDS_FILE="${path}": ${error.message}`);
    }
    throw error;
  }
}

function cwd(): string {
  try {
    return Deno.cwd();
  } catch {
    return "/";
  }
}

/**
 * An error reporter that prints the first failure and then one line per minute at most, so a
 * Redis that is down does not flood the log (the answers go on; metrics count every error).
 */
function reportOncePerMinute(what: string): (error: unknown) => void {
  let last = -Infinity;
  return (error) => {
    if (Date.now() - last < 60_000) return;
    last = Date.now();
    console.error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  };
}

/**
 * Turns a listener that cannot start (port taken, bad certificate) into a one-line error, its
 * wording loaded only then.
 */
async function listen<T>(config: Config, start: () => T): Promise<T> {
  try {
    return start();
  } catch (error) {
    const { cannotListen } = await import("./doors/cannot_listen.ts");
    throw cannotListen(
      `HOST="${config.host}" HTTP_PORT="${config.httpPort}"`,
      config.httpPort,
      error,
      config.tls && { certVariable: "TLS_CERT", keyVariable: "TLS_KEY" },
    );
  }
}

const tooOld = runtimeTooOld(Deno.version.deno);
if (tooOld !== undefined) {
  console.error(tooOld);
  Deno.exit(2);
}
try {
  await main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  Deno.exit(2);
}
