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
 * with the first query of a profile with safe search, not at startup.
 */
import {
  decodeMessage,
  encodeMessage,
  headOf,
  type Message,
  peekQuery,
  RClass,
  Rcode,
  type ResourceRecord,
  RType,
} from "../dns/mod.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import type { Answer, MaybePromise, QueryContext, Stage } from "../pipeline/types.ts";

export interface SafeSearchOptions {
  /** Runs the stages after this one (cache, forward) for a query of this stage's making. */
  resolveRest: (ctx: QueryContext) => MaybePromise<Answer>;
}

/** The types whose records the endpoint is asked for; other types get the CNAME alone. */
const FOLLOWED: ReadonlySet<number> = new Set([RType.A, RType.AAAA, RType.HTTPS]);

/** The CNAME's TTL when nothing shorter comes with it, seconds. */
export const SAFE_SEARCH_TTL = 300;

type Endpoints = typeof import("./safe_endpoints.ts");

export function safeSearchStage(options: SafeSearchOptions): Stage {
  let endpoints: Endpoints | undefined;
  const rewrite = (ctx: QueryContext, next: () => MaybePromise<Answer>) => {
    const endpoint = endpoints!.safeEndpoint(ctx.question.name);
    if (endpoint === undefined || ctx.question.class !== RClass.IN) return next();
    ctx.log.rule = `safe search: ${ctx.question.name} → ${endpoint}`;
    if (!FOLLOWED.has(ctx.question.type)) return cnameAnswer(ctx, endpoint, undefined);
    const asked = endpointContext(ctx, endpoint);
    const answered = (answer: Answer) => {
      // The log speaks of the client's question; what answered the endpoint's is worth keeping.
      if (asked.log.upstream !== undefined) ctx.log.upstream = asked.log.upstream;
      if (asked.log.error !== undefined) ctx.log.error = asked.log.error;
      return cnameAnswer(ctx, endpoint, answer);
    };
    const resolved = options.resolveRest(asked);
    return resolved instanceof Promise ? resolved.then(answered) : answered(resolved);
  };
  return (ctx, next) => {
    if (!ctx.identity.profile.safeSearch) return next();
    if (endpoints !== undefined) return rewrite(ctx, next);
    return import("./safe_endpoints.ts").then((loaded) => {
      endpoints = loaded;
      return rewrite(ctx, next);
    });
  };
}

/**
 * The endpoint's question as a query of its own: the client's header bits and EDNS (DO, CD
 * and the size: what the cache keys on) but none of its options, the client's profile and
 * budget, and a log entry of its own whose upstream and error are copied back.
 */
function endpointContext(ctx: QueryContext, endpoint: string): QueryContext {
  const query = ctx.query;
  const message: Message = {
    header: query.header,
    questions: [{ name: endpoint, type: ctx.question.type, class: ctx.question.class }],
    answers: [],
    authorities: [],
    additionals: [],
    ...(query.edns === undefined ? {} : { edns: { ...query.edns, options: [] } }),
  };
  const raw = encodeMessage(message);
  const head = peekQuery(raw) ?? headOf(message);
  const log = { ...ctx.log, name: endpoint };
  let decoded: Message | undefined;
  return {
    raw,
    head,
    question: head.question!,
    get query() {
      return decoded ??= decodeMessage(raw);
    },
    client: ctx.client,
    identity: ctx.identity,
    get signal() {
      return ctx.signal;
    },
    log,
  };
}

/**
 * The client's answer: the CNAME, then the endpoint's records (or, when it has none, its
 * authority records: the SOA a negative answer is cached by), every TTL capped at the smallest.
 * An endpoint that could not be resolved is the client's failure too.
 */
function cnameAnswer(ctx: QueryContext, endpoint: string, resolved: Answer | undefined): Answer {
  const rcode = resolved?.rcode ?? Rcode.NOERROR;
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) {
    return replyAnswer(ctx.query, { rcode }, resolved!.source);
  }
  const reply = resolved && decodeMessage(resolved.bytes);
  const records = reply?.answers ?? [];
  const ttl = Math.min(
    SAFE_SEARCH_TTL,
    resolved?.ttl ?? SAFE_SEARCH_TTL,
    ...records.map((record) => record.ttl),
  );
  const capped = (list: ResourceRecord[]) =>
    list.map((record) => ({ ...record, ttl: Math.min(record.ttl, ttl) }));
  const cname: ResourceRecord = {
    name: ctx.question.name,
    type: RType.CNAME,
    class: ctx.question.class,
    ttl,
    data: { target: endpoint },
  };
  return replyAnswer(ctx.query, {
    rcode,
    answers: [cname, ...capped(records)],
    authorities: records.length === 0 ? capped(reply?.authorities ?? []) : [],
  }, resolved?.source ?? "local");
}
