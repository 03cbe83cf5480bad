/**
 * The blocklist stage (DESIGN §3): after local records (an explicit local answer wins) and
 * before the cache (a newly blocked name takes effect at once, and blocked answers never
 * enter the cache). A blocked name gets the configured block answer; an allowed one, or one
 * no list mentions, goes on down the chain. Each query is decided under its profile
 * (profile_policy.ts): its own entries first, then the lists it takes (decision.ts says the
 * order), and a block is answered as the profile asks.
 *
 * A `$dnsrewrite` rule's block is its rewrite (rewrite_answer.ts). With `$client` rules loaded,
 * what the stage passes on is not reused for another request (answer_memo.ts): the same
 * request from another client may be decided otherwise.
 *
 * When the store fails (Redis down or slow), REDIS_FAIL decides: `open` (default) answers as
 * if nothing were listed and notes it in the query log; `closed` answers SERVFAIL with
 * Extended DNS Error 14 "Not Ready", for deployments where an unfiltered answer is worse than
 * none.
 */
import { cacheKey } from "../cache/key.ts";
import { aliasTargets, EdeCode, Rcode } from "../dns/mod.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import { countingReuse, untilStateMoves } from "../pipeline/answer_memo.ts";
import type { Answer, MaybePromise, QueryContext, Stage } from "../pipeline/types.ts";
import { blockAnswer, type BlockAnswerOptions } from "./block_answer.ts";
import type { Blocklist } from "./blocklist.ts";
import { type Decision, describeRule, type Rule } from "./decision.ts";
import { ownDecision, ProfilePolicies, type ProfilePolicy } from "./profile_policy.ts";

type Rewrites = typeof import("./rewrite_answer.ts");

export type FailMode = "open" | "closed";

export interface BlocklistStats {
  blocked: number;
  allowed: number;
  /** Decisions the store could not make (each answered per the fail mode). */
  errors: number;
}

export interface BlocklistStageOptions {
  blocklist: Blocklist;
  answer: BlockAnswerOptions;
  failMode: FailMode;
  /** Told about every store failure (the caller rate-limits its log lines). */
  onError?: (error: unknown) => void;
  /** Counters the stage keeps up to date, for metrics. */
  stats?: BlocklistStats;
  /**
   * Runs the stages after this one (cache, forward) for a query of this stage's making: the
   * target of a `$dnsrewrite` to a name. Without it, such a rewrite answers the CNAME alone.
   */
  resolveRest?: (ctx: QueryContext) => MaybePromise<Answer>;
}

/** Block answers kept for reuse; emptied when full. */
const BUILT_ANSWERS = 4096;

export function blocklistStage(options: BlocklistStageOptions): Stage {
  const { blocklist, failMode } = options;
  const stats = options.stats ?? { blocked: 0, allowed: 0, errors: 0 };
  // Building a block answer (a full decode of the query, then an encode) made a blocked query
  // dearer than a cached one, which it need not be (`deno task bench:all`, blocked rows against
  // cached): the same question blocked by the same rule gets the same answer, so it is built
  // once. The doors' finishing (ID, case, OPT, padding) is per client as for cached answers;
  // what it cannot change is in the key.
  const built = new Map<string, Answer>();
  const policies = new ProfilePolicies(options.answer);
  // A block answer stays right while the lists do (their version bounds its reuse: answer_memo.ts);
  // each reuse counts as the block it is.
  const reusable = untilStateMoves(() => void stats.blocked++);
  // Loaded with the first `$dnsrewrite` decision, not at startup.
  let rewrites: Rewrites | undefined;
  const answerFor = (
    ctx: QueryContext,
    policy: ProfilePolicy,
    rule: Rule,
  ): MaybePromise<Answer> => {
    const rewrite = rule.rewrite;
    if (rewrite !== undefined && rewrites === undefined) {
      return import("./rewrite_answer.ts").then((loaded) => {
        rewrites = loaded;
        return answerFor(ctx, policy, rule);
      });
    }
    // A rewrite to a name is resolved afresh each time, as any alias is.
    if (rewrite !== undefined && !rewrites!.isFixedRewrite(rewrite)) {
      return rewrites!.rewriteAnswer(ctx, rewrite, rule, policy.answer, options.resolveRest);
    }
    // The cache's key (name, type, class, DO, CD), what else the reply echoes (RD, EDNS), and
    // the profile and response (its EDE names the profile): no profile gets another's answer.
    const echoed = `${ctx.raw[2] & 1}${ctx.head.edns === undefined ? "-" : "e"}`;
    const key = `${cacheKey(ctx)}|${echoed}|${rule.list}|${rule.entry}|${rule.via ?? ""}|` +
      policy.answerKey;
    let answer = built.get(key);
    if (answer === undefined) {
      // A block for a CNAME target holds only as long as the upstream's answer does, which the
      // lists' version does not follow: never reused.
      const reuse = rule.via === undefined ? reusable : undefined;
      const made = rewrite === undefined
        ? blockAnswer(ctx.query, rule, policy.answer)
        : rewrites!.rewriteAnswer(ctx, rewrite, rule, policy.answer, undefined) as Answer;
      answer = { ...made, reusable: reuse };
      if (built.size >= BUILT_ANSWERS) built.clear();
      built.set(key, answer);
    }
    return answer;
  };
  /** A store failure, answered per REDIS_FAIL: `open` goes on as if nothing were listed. */
  const unavailable = (ctx: QueryContext, error: unknown, open: () => MaybePromise<Answer>) => {
    stats.errors++;
    options.onError?.(error);
    const why = `blocklist unavailable: ${error instanceof Error ? error.message : error}`;
    ctx.log.error = why;
    if (failMode === "open") return open();
    const ede = { infoCode: EdeCode.NOT_READY, text: "Blocklist unavailable" };
    return replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL, ede }, "error");
  };
  const follow = (
    ctx: QueryContext,
    policy: ProfilePolicy,
    decision: Decision,
    next: () => MaybePromise<Answer>,
  ) => {
    if (decision.verdict === "blocked") {
      stats.blocked++;
      ctx.log.rule = describeRule(decision.rule, policy.answer.profile);
      return answerFor(ctx, policy, decision.rule);
    }
    if (decision.verdict !== "allowed") {
      const answer = next();
      return answer instanceof Promise
        ? answer.then((answered) => inspected(ctx, policy, answered))
        : inspected(ctx, policy, answer);
    }
    // A name allowed outright is answered as it comes, its aliases included.
    stats.allowed++;
    const answer = next();
    return answer instanceof Promise ? answer.then(countingAllowed) : countingAllowed(answer);
  };
  /**
   * The answer, or a block when a CNAME or DNAME target in it is blocked for this profile (the
   * profile's own entries first, then its lists, as for the question's name). A store that
   * fails here is answered per REDIS_FAIL, as for the name.
   */
  const inspected = (
    ctx: QueryContext,
    policy: ProfilePolicy,
    answer: Answer,
  ): MaybePromise<Answer> => {
    const targets = cnameTargets(answer);
    return targets.length === 0 ? answer : checkTargets(ctx, policy, answer, targets, 0);
  };
  const checkTargets = (
    ctx: QueryContext,
    policy: ProfilePolicy,
    answer: Answer,
    targets: readonly string[],
    from: number,
  ): MaybePromise<Answer> => {
    for (let i = from; i < targets.length; i++) {
      const target = targets[i];
      let decision: Decision | Promise<Decision>;
      try {
        decision = ownDecision(policy, target) ?? blocklist.decide(target, policy.filter, ctx);
      } catch (error) {
        return unavailable(ctx, error, () => answer);
      }
      if (decision instanceof Promise) {
        return decision.then(
          (decided) =>
            decided.verdict === "blocked"
              ? blockedVia(ctx, policy, decided.rule, target)
              : checkTargets(ctx, policy, answer, targets, i + 1),
          (error) => unavailable(ctx, error, () => answer),
        );
      }
      if (decision.verdict === "blocked") return blockedVia(ctx, policy, decision.rule, target);
    }
    return answer;
  };
  const blockedVia = (ctx: QueryContext, policy: ProfilePolicy, rule: Rule, target: string) => {
    stats.blocked++;
    // A target is blocked, never rewritten: the client asked for another name.
    const via = { list: rule.list, entry: rule.entry, via: target };
    ctx.log.rule = describeRule(via, policy.answer.profile);
    return answerFor(ctx, policy, via);
  };
  /** An allowed name's answer, reused (answer_memo.ts), counts as the decision it skips. */
  const countAllowed = () => void stats.allowed++;
  const countingAllowed = (answer: Answer): Answer => countingReuse(answer, countAllowed);
  /** An answer that holds for this client only: not reused for another request. */
  const personal = (answer: Answer): Answer =>
    answer.reusable === undefined ? answer : { ...answer, reusable: undefined };
  // The memory store decides at once, and then so does this stage; Redis makes it wait.
  const decideAndFollow: Stage = (ctx, next) => {
    const policy = policies.of(ctx.identity.profile);
    const own = ownDecision(policy, ctx.question.name);
    if (own !== undefined) return follow(ctx, policy, own, next);
    let decision: Decision | Promise<Decision>;
    try {
      decision = blocklist.decide(ctx.question.name, policy.filter, ctx);
    } catch (error) {
      return unavailable(ctx, error, next);
    }
    if (!(decision instanceof Promise)) return follow(ctx, policy, decision, next);
    return decision.then(
      (decided) => follow(ctx, policy, decided, next),
      (error) => unavailable(ctx, error, next),
    );
  };
  return (ctx, next) => {
    const answer = decideAndFollow(ctx, next);
    if (!blocklist.needsClient) return answer;
    return answer instanceof Promise ? answer.then(personal) : personal(answer);
  };
}

const NO_TARGETS: readonly string[] = Object.freeze([]);
const targetsRead = new WeakMap<Uint8Array, readonly string[]>();

/**
 * The CNAME and DNAME targets of an answer from the cache or an upstream, which the stage checks
 * as it checks the question's name (CNAME cloaking); none for the answers the stages made
 * themselves. A cache hit carries the targets its entry read once (a hit's bytes are a fresh
 * copy each time); any other answer's are read once per answer's bytes.
 */
export function cnameTargets(answer: Answer): readonly string[] {
  const source = answer.source;
  if (source !== "upstream" && source !== "cache" && source !== "stale") return NO_TARGETS;
  if (answer.aliases !== undefined) return answer.aliases;
  let targets = targetsRead.get(answer.bytes);
  if (targets === undefined) {
    targets = aliasTargets(answer.bytes);
    targetsRead.set(answer.bytes, targets);
  }
  return targets;
}
