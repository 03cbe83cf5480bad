/**
 * Safe search: for a profile with `safeSearch`, a search host (Google, YouTube, Bing,
 * DuckDuckGo: safe_endpoints.ts) is answered with a CNAME to its vendor's safe endpoint,
 * followed by the endpoint's own records of the asked type, which the rest of the chain (cache,
 * then forward) resolves as a query of its own, so the endpoint's answer is cached and shared
 * like any other. Types other than A, AAAA and HTTPS get the CNAME alone, as a client asking
 * them of a search host has no use for the endpoint's. Every TTL is at most the smallest one
 * in the answer, the CNAME's included, so nothing outlives what it was built from.
 *
 * A profile without safe search costs one property read. The table of search hosts is loaded
 * with the first query of a profile with safe search, not at startup, and so is the answer's
 * making (alias_answer.ts).
 */
import { RClass } from "../dns/mod.ts";
import type { Answer, MaybePromise, QueryContext, Stage } from "../pipeline/types.ts";

export interface SafeSearchOptions {
  /** Runs the stages after this one (cache, forward) for a query of this stage's making. */
  resolveRest: (ctx: QueryContext) => MaybePromise<Answer>;
}

/** The CNAME's TTL when nothing shorter comes with it, seconds. */
export const SAFE_SEARCH_TTL = 300;

type Endpoints = typeof import("./safe_endpoints.ts");
type Aliases = typeof import("./alias_answer.ts");

export function safeSearchStage(options: SafeSearchOptions): Stage {
  let endpoints: Endpoints | undefined;
  let aliases: Aliases | undefined;
  const rewrite = (ctx: QueryContext, next: () => MaybePromise<Answer>) => {
    const endpoint = endpoints!.safeEndpoint(ctx.question.name);
    if (endpoint === undefined || ctx.question.class !== RClass.IN) return next();
    ctx.log.rule = `safe search: ${ctx.question.name} \u2192 ${endpoint}`;
    return aliases!.aliasAnswer(ctx, endpoint, SAFE_SEARCH_TTL, options.resolveRest);
  };
  return (ctx, next) => {
    if (!ctx.identity.profile.safeSearch) return next();
    if (endpoints !== undefined) return rewrite(ctx, next);
    return Promise.all([import("./safe_endpoints.ts"), import("./alias_answer.ts")]).then(
      ([loaded, alias]) => {
        endpoints = loaded;
        aliases = alias;
        return rewrite(ctx, next);
      },
    );
  };
}
