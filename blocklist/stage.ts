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
import { addressText, aliasTargets, answerAddresses, EdeCode, Rcode } from "../dns/mod.ts";
import { privateRange } from "../net/cidr.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import { countingReuse, untilStateMoves } from "../pipeline/answer_memo.ts";
import type { Answer, MaybePromise, QueryContext, Stage } from "../pipeline/types.ts";
import { blockAnswer, type BlockAnswerOptions } from "./block_answer.ts";
import type { Blocklist } from "./blocklist.ts";
import type { BlockingPause } from "./pause.ts";
import { type Decision, describeRule, REBINDING, type Rule } from "./decision.ts";
import { ownDecision, ProfilePolicies, type ProfilePolicy } from "./profile_policy.ts";

type Rewrites = typeof import("./rewrite_answer.ts");

export type FailMode = "open" | "closed";

export interface BlocklistStats {
  blocked: number;
  allowed: number;
  /** Decisions the store could not make (each answered per the fail mode). */
  errors: number;
  /** Answers refused by rebinding protection (counted in `blocked` too). */
  rebinding?: number;
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
   * DNS rebinding protection (REBIND_PROTECTION): an answer from the cache or an upstream that
   * points a name to a private address (net/cidr.ts `privateRange`) is refused with the block
   * answer, unless `exempt` says the name may (REBIND_ALLOW's domains, forward zones' names).
   * Names the records file answers never reach this stage. Without it, private answers pass.
   */
  rebinding?: { exempt: (name: string) => boolean };
  /**
   * Runs the stages after this one (cache, forward) for a query of this stage's making: the
   * target of a `$dnsrewrite` to a name. Without it, such a rewrite answers the CNAME alone.
   */
  resolveRest?: (ctx: QueryContext) => MaybePromise<Answer>;
  /**
   * Blocking paused (pause.ts): while `paused()`, asked once per query, no list or profile
   * entry decides and the answer goes on as it comes; rebinding protection still holds.
   */
  pause?: Pick<BlockingPause, "paused">;
}

/** Block answers kept for reuse; emptied when full. */
const BUILT_ANSWERS = 4096;

export function blocklistStage(options: BlocklistStageOptions): Stage {
  const { blocklist, failMode, rebinding, pause } = options;
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
      `${rule.answer ?? ""}|${policy.answerKey}`;
    let answer = built.get(key);
    if (answer === undefined) {
      // A block for a CNAME target or an address holds only as long as the upstream's answer
      // does, which the lists' version does not follow: never reused.
      const reuse = rule.via === undefined && rule.answer === undefined ? reusable : undefined;
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
    // A name allowed outright is answered as it comes, its aliases and addresses included;
    // rebinding protection still holds (REBIND_ALLOW is its exception, not the lists).
    stats.allowed++;
    const answer = next();
    return answer instanceof Promise
      ? answer.then((answered) => allowedAnswer(ctx, policy, answered))
      : allowedAnswer(ctx, policy, answer);
  };
  const allowedAnswer = (
    ctx: QueryContext,
    policy: ProfilePolicy,
    answer: Answer,
  ): MaybePromise<Answer> => {
    const rule = rebinding &&
      rebindingRule(ctx.question.name, answerAddressesOf(answer), rebinding.exempt);
    return rule === undefined ? countingAllowed(answer) : rebound(ctx, policy, rule);
  };
  /**
   * The answer, or a block when one of its addresses is blocked by an IP entry of the lists
   * this profile takes, or refused by rebinding protection, or when a CNAME or DNAME target in
   * it is blocked for this profile (the profile's own entries first, then its lists, as for the
   * question's name). A store that fails on a target is answered per REDIS_FAIL, as for the name.
   */
  const inspected = (
    ctx: QueryContext,
    policy: ProfilePolicy,
    answer: Answer,
  ): MaybePromise<Answer> => {
    const addresses = answerAddressesOf(answer);
    if (addresses.length > 0) {
      const decision = blocklist.addressRules?.decide(addresses, policy.filter);
      if (decision?.verdict === "blocked") return blockedBy(ctx, policy, decision.rule);
      const rule = rebinding && rebindingRule(ctx.question.name, addresses, rebinding.exempt);
      if (rule !== undefined) return rebound(ctx, policy, rule);
    }
    const targets = cnameTargets(answer);
    return targets.length === 0 ? answer : checkTargets(ctx, policy, answer, targets, 0);
  };
  /** A block for what the answer holds (its address or target), not the question's name. */
  const blockedBy = (ctx: QueryContext, policy: ProfilePolicy, rule: Rule) => {
    stats.blocked++;
    ctx.log.rule = describeRule(rule, policy.answer.profile);
    return answerFor(ctx, policy, rule);
  };
  const rebound = (ctx: QueryContext, policy: ProfilePolicy, rule: Rule) => {
    stats.rebinding = (stats.rebinding ?? 0) + 1;
    return blockedBy(ctx, policy, rule);
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
  // A target is blocked, never rewritten: the client asked for another name.
  const blockedVia = (ctx: QueryContext, policy: ProfilePolicy, rule: Rule, target: string) =>
    blockedBy(ctx, policy, { list: rule.list, entry: rule.entry, via: target });
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
  /** Paused: the answer as it comes, but for rebinding protection. */
  const unfiltered: Stage = (ctx, next) => {
    const answer = next();
    if (rebinding === undefined) return answer;
    const guarded = (answered: Answer) => {
      const rule = rebindingRule(ctx.question.name, answerAddressesOf(answered), rebinding.exempt);
      return rule === undefined ? answered : rebound(ctx, policies.of(ctx.identity.profile), rule);
    };
    return answer instanceof Promise ? answer.then(guarded) : guarded(answer);
  };
  return (ctx, next) => {
    if (pause?.paused()) return unfiltered(ctx, next);
    const answer = decideAndFollow(ctx, next);
    if (!blocklist.needsClient) return answer;
    return answer instanceof Promise ? answer.then(personal) : personal(answer);
  };
}

/**
 * The rule refusing an answer for `name` whose addresses (16 bytes each) include a private one,
 * naming the first; undefined when none is private or `exempt` lets the name be.
 *
 * "answer 10.0.0.5 (rebinding: 10.0.0.0/8)" once described (decision.ts `describeRule`).
 */
export function rebindingRule(
  name: string,
  addresses: Uint8Array,
  exempt: (name: string) => boolean,
): Rule | undefined {
  for (let at = 0; at < addresses.length; at += 16) {
    const range = privateRange(addresses, at);
    if (range === undefined) continue;
    return exempt(name)
      ? undefined
      : { list: REBINDING, entry: range, answer: addressText(addresses, at) };
  }
  return undefined;
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
  return readOnce(answer, answer.aliases, targetsRead, aliasTargets, NO_TARGETS);
}

const NO_ADDRESSES = new Uint8Array(0);
const addressesRead = new WeakMap<Uint8Array, Uint8Array>();

/**
 * The A and AAAA addresses of an answer from the cache or an upstream (16 bytes each,
 * dns/view.ts `answerAddresses`), which the stage checks against IP entries and rebinding
 * protection; none for the answers the stages made themselves. Read once, as the targets are.
 */
export function answerAddressesOf(answer: Answer): Uint8Array {
  return readOnce(answer, answer.addresses, addressesRead, answerAddresses, NO_ADDRESSES);
}

/** What an answer from elsewhere holds: as its maker knew it, or read once per answer's bytes. */
function readOnce<T>(
  answer: Answer,
  known: T | undefined,
  read: WeakMap<Uint8Array, T>,
  reader: (bytes: Uint8Array) => T,
  none: T,
): T {
  const source = answer.source;
  if (source !== "upstream" && source !== "cache" && source !== "stale") return none;
  if (known !== undefined) return known;
  let found = read.get(answer.bytes);
  if (found === undefined) {
    found = reader(answer.bytes);
    read.set(answer.bytes, found);
  }
  return found;
}
