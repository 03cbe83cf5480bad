/**
 * An answer that is an alias the gateway made (safe search's endpoints, `$dnsrewrite` to a
 * name): a CNAME to the target, followed by the target's own records of the asked type, which
 * the rest of the chain (cache, then forward) resolves as a query of its own, so the target's
 * answer is cached and shared like any other. Types other than A, AAAA and HTTPS get the CNAME
 * alone, as a client asking them of such a name has no use for the target's. Every TTL is at
 * most the smallest one in the answer, the CNAME's included, so nothing outlives what it was
 * built from.
 */
import {
  decodeMessage,
  encodeMessage,
  headOf,
  type Message,
  peekQuery,
  Rcode,
  type ResourceRecord,
  RType,
} from "../dns/mod.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import type { Answer, MaybePromise, QueryContext } from "../pipeline/types.ts";

/** The types whose records the target is asked for; other types get the CNAME alone. */
const FOLLOWED: ReadonlySet<number> = new Set([RType.A, RType.AAAA, RType.HTTPS]);

/**
 * Answers `ctx` with a CNAME to `target` (TTL at most `cap` seconds) and the target's records,
 * resolved by `resolveRest` (the stages after the caller); without it, the CNAME alone.
 */
export function aliasAnswer(
  ctx: QueryContext,
  target: string,
  cap: number,
  resolveRest: ((ctx: QueryContext) => MaybePromise<Answer>) | undefined,
): MaybePromise<Answer> {
  if (resolveRest === undefined || !FOLLOWED.has(ctx.question.type)) {
    return cnameAnswer(ctx, target, undefined, cap);
  }
  const asked = aliasContext(ctx, target);
  const answered = (answer: Answer) => {
    // The log speaks of the client's question; what answered the target's is worth keeping.
    if (asked.log.upstream !== undefined) ctx.log.upstream = asked.log.upstream;
    if (asked.log.error !== undefined) ctx.log.error = asked.log.error;
    return cnameAnswer(ctx, target, answer, cap);
  };
  const resolved = resolveRest(asked);
  return resolved instanceof Promise ? resolved.then(answered) : answered(resolved);
}

/**
 * The target's question as a query of its own: the client's header bits and EDNS (DO, CD
 * and the size: what the cache keys on) but none of its options, the client's profile and
 * budget, and a log entry of its own whose upstream and error are copied back.
 */
function aliasContext(ctx: QueryContext, endpoint: string): QueryContext {
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
    get deadline() {
      return ctx.deadline;
    },
    log,
  };
}

/**
 * The client's answer: the CNAME, then the target's records (or, when it has none, its
 * authority records: the SOA a negative answer is cached by), every TTL capped at the smallest
 * and at `cap`.
 * An endpoint that could not be resolved is the client's failure too.
 */
function cnameAnswer(
  ctx: QueryContext,
  endpoint: string,
  resolved: Answer | undefined,
  cap: number,
): Answer {
  const rcode = resolved?.rcode ?? Rcode.NOERROR;
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) {
    return replyAnswer(ctx.query, { rcode }, resolved!.source);
  }
  const reply = resolved && decodeMessage(resolved.bytes);
  const records = reply?.answers ?? [];
  const ttl = Math.min(
    cap,
    resolved?.ttl ?? cap,
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
