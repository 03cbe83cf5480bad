/**
 * What makes two queries the same for the cache: the name (canonical, lowercase), type and
 * class, and the DO and CD bits, which change what an upstream returns (DNSSEC records,
 * unvalidated data). The client's ID, case spelling, padding and cookies do not.
 */
import type { QueryContext } from "../pipeline/types.ts";

export function cacheKey(ctx: Pick<QueryContext, "question" | "head">): string {
  const { name, type, class: klass } = ctx.question;
  const dnssecOk = ctx.head.edns?.dnssecOk ? 1 : 0;
  const checkingDisabled = ctx.head.checkingDisabled ? 1 : 0;
  return `${name}|${type}|${klass}|${dnssecOk}${checkingDisabled}`;
}
