/**
 * The answer of a `$dnsrewrite` rule (its simple forms, list_rule.ts), made in place of the
 * block answer: an address answers its own type (A or AAAA) and NODATA for the others; an rcode
 * keyword answers as the block response of that name would (NOERROR as NODATA, SERVFAIL
 * as itself), with EDE 15 naming the rule; a name answers as an alias, the target's records
 * resolved by the rest of the chain (alias_answer.ts). Addresses carry BLOCK_TTL.
 */
import { EdeCode, Rcode, type ResourceRecord, RType } from "../dns/mod.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import type { Answer, MaybePromise, QueryContext } from "../pipeline/types.ts";
import { aliasAnswer } from "./alias_answer.ts";
import { blockAnswer, type BlockAnswerOptions, type BlockResponse } from "./block_answer.ts";
import { describeRule, type Rule } from "./decision.ts";
import type { Rewrite } from "./list_rule.ts";

const RESPONSE_OF = {
  NXDOMAIN: "nxdomain",
  REFUSED: "refused",
  NOERROR: "nodata",
} as const satisfies Record<string, BlockResponse>;

/** Whether the answer is the same for every query of the same question (and so may be kept). */
export function isFixedRewrite(rewrite: Rewrite): boolean {
  return rewrite.kind !== "cname";
}

export function rewriteAnswer(
  ctx: QueryContext,
  rewrite: Rewrite,
  rule: Rule,
  options: BlockAnswerOptions,
  resolveRest: ((ctx: QueryContext) => MaybePromise<Answer>) | undefined,
): MaybePromise<Answer> {
  const query = ctx.query;
  switch (rewrite.kind) {
    case "cname":
      return aliasAnswer(ctx, rewrite.target, options.ttl, resolveRest);
    case "address": {
      const question = query.questions[0];
      if (question.type !== RType[rewrite.type]) {
        return blockAnswer(query, rule, { ...options, response: "nodata" });
      }
      const record: ResourceRecord = {
        name: question.name,
        type: question.type,
        class: question.class,
        ttl: options.ttl,
        data: { address: rewrite.address },
      };
      return replyAnswer(query, { answers: [record] }, "blocked");
    }
    case "rcode": {
      if (rewrite.rcode !== "SERVFAIL") {
        return blockAnswer(query, rule, { ...options, response: RESPONSE_OF[rewrite.rcode] });
      }
      const ede = {
        infoCode: EdeCode.BLOCKED,
        text: `Blocked (${describeRule(rule, options.profile)})`,
      };
      return replyAnswer(query, { rcode: Rcode.SERVFAIL, ede }, "blocked");
    }
  }
}
