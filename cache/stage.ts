/**
 * The cache stage (DESIGN §3): answers from the cache when it can, and otherwise asks the rest
 * of the chain once per question however many clients ask at the same time (coalescing).
 * When the rest of the chain fails (every upstream down, the budget spent) an expired entry is
 * served stale with TTL 30 and Extended DNS Error 3 (RFC 8767); a popular entry near expiry is
 * refreshed in the background so it never misses. With client subnets passed upstream, an
 * answer made for one subnet is kept and found per scope (placement.ts), never for another.
 */
import { decodeMessage, EdeCode, encodeExtendedError, encodeMessage, Rcode } from "../dns/mod.ts";
import { answerFromBytes } from "../pipeline/answer_builders.ts";
import { reusableAnswer } from "../pipeline/answer_memo.ts";
import { detachedContext } from "../pipeline/context.ts";
import type { Answer, MaybePromise, QueryContext, Stage } from "../pipeline/types.ts";
import type { AnswerCache, CacheHit } from "./answer_cache.ts";
import { querySubnet } from "./client_subnet.ts";
import { cacheKey } from "./key.ts";
import { type Placement, plainPlacement, SubnetPlacements } from "./placement.ts";
import type { SharedTier } from "./shared_tier.ts";

/** RFC 8767 §4: the TTL of a stale answer. */
export const STALE_TTL = 30;

export interface CacheStageOptions {
  cache: AnswerCache;
  /** The shared tier (Redis), read on an L1 miss before going upstream, written behind. */
  shared?: SharedTier;
  /**
   * Asks the stages after this one for a fresh answer, outside any client's query: used to
   * prefetch. Gets a context of its own (own budget, own log entry).
   */
  refresh: (ctx: QueryContext) => Promise<Answer>;
  /** Hits an entry needs before it is worth prefetching; 0 disables prefetch. */
  prefetchHits: number;
  /** Prefetch when less than this share of the lifetime is left. */
  prefetchShare?: number;
  /** Budget of a background refresh, milliseconds. */
  refreshTimeoutMs: number;
  /** Called with any background refresh failure (for the log). */
  onRefreshError?: (error: unknown) => void;
  /**
   * Answers to queries with a client-subnet option are kept per scope (client_subnet.ts): on
   * when that option is passed upstream (FORWARD_CLIENT_SUBNET), so answers depend on it.
   */
  keyBySubnet?: boolean;
}

export function cacheStage(options: CacheStageOptions): Stage {
  const { cache, shared } = options;
  const inFlight = new Map<string, Promise<Answer>>();
  const prefetchShare = options.prefetchShare ?? 0.1;

  /**
   * Keeps an upstream answer in L1 and, for as long as L1 keeps it, in the shared tier;
   * returns it with its TTLs clamped as kept, so the first client sees what later ones do.
   */
  const keep = (where: Placement, ctx: QueryContext, answer: Answer) => {
    if (answer.source !== "upstream") return answer;
    const clamped = cache.clamped(ctx, answer);
    const key = where.keyOf(clamped);
    if (key === undefined) return clamped;
    const lifetime = cache.store(key, ctx, clamped);
    if (lifetime > 0) shared?.write(key, clamped.bytes, lifetime);
    return clamped;
  };

  /** An upstream answer as `keep` returns it, for a client that waited on another's flight. */
  const asKept = (ctx: QueryContext, answer: Answer) =>
    answer.source === "upstream" ? cache.clamped(ctx, answer) : answer;

  /** The shared tier's answer (kept in L1 too), or the rest of the chain's, kept. */
  const missShared = async (
    ctx: QueryContext,
    where: Placement,
    next: () => MaybePromise<Answer>,
    shared: SharedTier,
  ) => {
    const fromShared = await shared.read(where.shared);
    if (fromShared) {
      // Clamped here too: another instance may keep other bounds.
      const answer = cache.clamped(ctx, answerFromBytes(fromShared, "cache"));
      if (cache.store(where.shared, ctx, answer) > 0) where.keptShared?.();
      return answer;
    }
    return keep(where, ctx, await next());
  };

  /** Near enough expiry to be refreshed in the background, if popular. */
  const nearExpiry = (hit: CacheHit) =>
    options.prefetchHits > 0 && hit.remaining <= hit.lifetime * prefetchShare;

  const prefetch = (ctx: QueryContext, where: Placement, hit: CacheHit) => {
    if (hit.hits < options.prefetchHits || !hit.claimRefresh()) return;
    const detached = detachedContext(
      ctx,
      AbortSignal.timeout(options.refreshTimeoutMs),
      { ...ctx.log },
    );
    options.refresh(detached)
      .then((answer) => keep(where, ctx, answer))
      .catch((error) => options.onRefreshError?.(error))
      .finally(() => hit.releaseRefresh());
  };

  /**
   * Everything but a fresh hit: one upstream question for every client asking, or stale. Not
   * an async function: a then on the flight is a frame and a promise less per miss.
   */
  const wait = (
    ctx: QueryContext,
    where: Placement,
    hit: CacheHit | undefined,
    next: () => MaybePromise<Answer>,
  ): MaybePromise<Answer> => {
    const flight = where.flight;
    let pending = inFlight.get(flight);
    // The first to ask leads the flight: it alone lets it go, once it has its answer. Without a
    // shared tier the flight is the rest of the chain's answer as it comes, which the leader
    // keeps and each other client takes as kept.
    const leads = pending === undefined;
    if (pending === undefined) {
      const asked = shared === undefined ? next() : missShared(ctx, where, next, shared);
      // Answered at once: no one can have joined it.
      if (!(asked instanceof Promise)) return landed(ctx, where, hit, true, asked);
      inFlight.set(flight, pending = asked);
    }
    return pending.then(
      (answer) => {
        if (leads) inFlight.delete(flight);
        return landed(ctx, where, hit, leads, answer);
      },
      (error) => {
        if (leads) inFlight.delete(flight);
        if (hit !== undefined) return staleAnswer(hit);
        throw error;
      },
    );
  };

  /** The flight's answer for one client: kept (by its leader) or as kept, else stale. */
  const landed = (
    ctx: QueryContext,
    where: Placement,
    hit: CacheHit | undefined,
    leads: boolean,
    answer: Answer,
  ) => {
    if (shared === undefined) {
      answer = leads ? keep(where, ctx, answer) : asKept(ctx, answer);
    }
    if (hit !== undefined && answer.rcode === Rcode.SERVFAIL) {
      ctx.log.error ??= "served stale";
      return staleAnswer(hit);
    }
    return answer;
  };

  /**
   * A fresh hit as it is, or the wait for one. Without a placement, the key's own (made only
   * when needed: most answers are fresh hits).
   */
  const answer = (
    ctx: QueryContext,
    key: string,
    hit: CacheHit | undefined,
    where: Placement | undefined,
    next: () => MaybePromise<Answer>,
  ) => {
    if (hit !== undefined && hit.remaining > 0) {
      // Reused (answer_memo.ts) only while no lookup could start a prefetch: each counts.
      if (!nearExpiry(hit)) return reusableAnswer(hit.answer, hit.reusable());
      prefetch(ctx, where ?? plainPlacement(key), hit);
      return hit.answer;
    }
    return wait(ctx, where ?? plainPlacement(key), hit, next);
  };

  const subnets = options.keyBySubnet ? new SubnetPlacements(cache) : undefined;

  // A fresh hit is answered at once: no promise, no turn of the event loop.
  return (ctx, next) => {
    const key = cacheKey(ctx);
    if (subnets !== undefined && ctx.head.edns?.clientSubnet) {
      const subnet = querySubnet(ctx.query);
      if (subnet === "unreadable") return next();
      if (subnet !== undefined) {
        const found = subnets.lookup(key, subnet);
        return answer(ctx, key, found.hit, found.placement, next);
      }
    }
    return answer(ctx, key, cache.lookup(key), undefined, next);
  };
}

/** The expired entry with every TTL set to 30 and EDE 3 "Stale Answer" (RFC 8767, RFC 8914). */
function staleAnswer(hit: CacheHit): Answer {
  const message = decodeMessage(hit.answer.bytes);
  const records = (list: typeof message.answers) => list.map((r) => ({ ...r, ttl: STALE_TTL }));
  const ede = encodeExtendedError({ infoCode: EdeCode.STALE_ANSWER, text: "Stale Answer" });
  const stale = {
    ...message,
    answers: records(message.answers),
    authorities: records(message.authorities),
    additionals: records(message.additionals),
    edns: message.edns && { ...message.edns, options: [...message.edns.options, ede] },
  };
  return answerFromBytes(encodeMessage(stale), "stale");
}
