/**
 * The order of the pipeline, in one place. ORDER MATTERS (DESIGN §3): each line says why a
 * stage stands where it does. Adding a stage is one line here.
 *
 * Before the chain, the resolver has decoded the query and refused shapes no stage should see
 * (not a standard query, not exactly one question, unknown EDNS version). A DoH request the
 * same as one a moment ago skips all of it: it gets what the chain gave that one, for as long
 * as the stage that made it says the answer holds (answer_memo.ts).
 */
import { blocklistStage, type BlocklistStageOptions } from "../blocklist/stage.ts";
import { cacheStage, type CacheStageOptions } from "../cache/stage.ts";
import { type ForwardOptions, forwardStage } from "../upstream/stage.ts";
import { compose } from "./compose.ts";
import { guardStage } from "./guard.ts";
import type { Answer, MaybePromise, QueryContext, Stage } from "./types.ts";

export interface ChainOptions {
  forward: ForwardOptions;
  /**
   * The local records' stage (records/stage.ts), made by the caller when there is a
   * RECORDS_FILE: a process without one never loads the records modules. Without it, nothing
   * is answered locally.
   */
  local?: Stage;
  /** Without it, nothing is blocked. */
  blocklist?: BlocklistStageOptions;
  /** Without it, every query goes upstream. */
  cache?: Omit<CacheStageOptions, "refresh">;
  /**
   * The safe-search stage's maker (blocklist/safe_search.ts `safeSearchStage`), given by the
   * caller where profiles are configured, as `local` is: a process without profiles never loads
   * it, and its chain runs no stage more than before.
   */
  safeSearch?: (options: { resolveRest: (ctx: QueryContext) => MaybePromise<Answer> }) => Stage;
}

/**
 * The stages in their order, each optional one only when its options are given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
 * import { safeSearchStage } from "../blocklist/safe_search.ts";
 * import { AnswerCache } from "../cache/answer_cache.ts";
 * import { buildChain } from "./chain.ts";
 * import { guardStage } from "./guard.ts";
 *
 * // An upstream pool is anything with `resolve(query, signal)`; this one has no upstream.
 * const pool = { resolve: () => Promise.reject(new Error("no upstream here")) };
 * const forward = { pool, forwardClientSubnet: false };
 * const bare = buildChain({ forward });
 * assert.equal(bare.length, 2, "the guard and the forward stage");
 * assert.equal(bare[0], guardStage);
 *
 * const full = buildChain({
 *   forward,
 *   blocklist: {
 *     blocklist: new MemoryBlocklist(),
 *     answer: { response: "nxdomain", ttl: 60 },
 *     failMode: "open",
 *   },
 *   cache: { cache: new AnswerCache(), prefetchHits: 0, refreshTimeoutMs: 1000 },
 *   safeSearch: safeSearchStage,
 * });
 * assert.equal(full.length, 5, "guard, blocklist, safe search, cache, forward");
 * ```
 */
export function buildChain(options: ChainOptions): Stage[] {
  const forward = forwardStage(options.forward);
  const cache = options.cache &&
    cacheStage({
      ...options.cache,
      // Answers depend on the client's subnet only when it goes upstream.
      keyBySubnet: options.forward.forwardClientSubnet,
      refresh: async (ctx) => await forward(ctx, nothingAfterForward),
    });
  // Safe search and `$dnsrewrite` to a name ask the cache and the forward stage for the
  // target's records, as a query of its own.
  const resolveRest = compose(cache ? [cache, forward] : [forward], nothingAfterForward);
  const safeSearch = options.safeSearch?.({ resolveRest });
  return [
    // guard: answers ANY minimally (RFC 8482) before any lookup could amplify it.
    guardStage,
    // local: records, PTRs and patterns from RECORDS_FILE, before the blocklist so an explicit
    // local answer wins over any list, and before the cache so an edit shows on the next query.
    ...(options.local ? [options.local] : []),
    // blocklist: before the cache, so a newly blocked name takes effect at once and blocked
    // answers never enter it.
    ...(options.blocklist ? [blocklistStage({ resolveRest, ...options.blocklist })] : []),
    // safe search: after the blocklist, so a blocked search engine stays blocked, and before
    // the cache, so the rewrite (per profile) never enters it while the endpoint's answer does.
    ...(safeSearch ? [safeSearch] : []),
    // cache: after everything that answers locally or blocks (so those take effect at once
    // and never enter it), right before the one stage that costs a round trip.
    ...(cache ? [cache] : []),
    // forward: asks the upstreams; last, because it answers everything that reaches it.
    forward,
  ];
}

/** The forward stage answers everything; reaching past it is a bug. */
function nothingAfterForward(): Promise<Answer> {
  return Promise.reject(new Error("the forward stage called next()"));
}
