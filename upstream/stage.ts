/**
 * The forward stage: the last stage of the chain. It asks the upstream pool (a forward zone's
 * when one holds the name, else the profile's own when it has upstreams, the default one
 * otherwise) with a query of its own making (fresh
 * header, our EDNS size, the client's DO/CD/AD bits, and none of the client's cookie, padding
 * or -- unless configured -- client-subnet options) and turns the pool giving up into SERVFAIL
 * with an Extended DNS Error, within the query's budget. An upstream's SERVFAIL, which the
 * pool gives when nothing better came, gets that EDE too, the upstream's own passed on after it.
 */
import {
  buildReply,
  decodeMessage,
  EdeCode,
  type EdnsOption,
  EdnsOptionCode,
  encodeMessage,
  headerRcode,
  type Message,
  Rcode,
} from "../dns/mod.ts";
import { answerFromBytes, answerFromUpstream, replyAnswer } from "../pipeline/answer_builders.ts";
import type { Profile } from "../pipeline/profile.ts";
import type { Answer, QueryContext, Stage } from "../pipeline/types.ts";
import type { PoolReply, UpstreamPool } from "./pool.ts";
import { upstreamQueryBytes } from "./upstream_query.ts";

export interface ForwardOptions {
  /** The default upstreams (UPSTREAMS). */
  pool: Pick<UpstreamPool, "resolve">;
  /** Conditional forwarding: the pool of the forward zone holding a name, if one does. */
  route?: (name: string) => Pick<UpstreamPool, "resolve"> | undefined;
  /**
   * The pool of a profile's own upstreams, if it has any (profile_pools.ts). A forward zone
   * still wins: its names are known to its upstreams only. Without it, every profile is
   * answered by the default pool.
   */
  profilePool?: (profile: Profile) => Pick<UpstreamPool, "resolve"> | undefined;
  /** Pass the client's EDNS client-subnet option on (off by default, for privacy). */
  forwardClientSubnet: boolean;
}

/** RFC 8914 §4.23: what the client is told when no upstream gave a usable answer. */
const NO_UPSTREAM = { infoCode: EdeCode.NO_REACHABLE_AUTHORITY, text: "no upstream answered" };

export function forwardStage(options: ForwardOptions): Stage {
  /** The pool gave up, or what it gave could not be read: SERVFAIL with EDE 22, and why. */
  const failed = (ctx: QueryContext, error: unknown) => {
    ctx.log.error = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    return replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL, ede: NO_UPSTREAM }, "error");
  };
  const answered = (ctx: QueryContext, reply: PoolReply) => {
    try {
      ctx.log.upstream = reply.upstream;
      if (headerRcode(reply.bytes) === Rcode.SERVFAIL) {
        ctx.log.error = `${reply.upstream} answered SERVFAIL`;
        return upstreamFailure(ctx.query, reply.bytes);
      }
      return answerFromUpstream(reply.bytes);
    } catch (error) {
      return failed(ctx, error);
    }
  };
  // Not an async function: a then on the pool's promise is a promise and a frame less per miss.
  // (A query it cannot make throws: a failure of ours, as from any stage.)
  return (ctx) => {
    const query = upstreamQueryBytes(ctx, options.forwardClientSubnet);
    let reply: Promise<PoolReply>;
    try {
      const pool = options.route?.(ctx.question.name) ??
        options.profilePool?.(ctx.identity.profile) ?? options.pool;
      reply = pool.resolve(query, ctx.deadline ?? ctx.signal);
    } catch (error) {
      return failed(ctx, error);
    }
    return reply.then((got) => answered(ctx, got), (error) => failed(ctx, error));
  };
}

/**
 * SERVFAIL with EDE 22 for an upstream's SERVFAIL (every upstream failed, this one by
 * answering so), followed by the Extended DNS Errors the upstream gave, which say why.
 */
function upstreamFailure(query: Message, upstreamReply: Uint8Array): Answer {
  const reply = buildReply(query, { rcode: Rcode.SERVFAIL, ede: NO_UPSTREAM });
  reply.edns?.options.push(...upstreamErrors(upstreamReply));
  return answerFromBytes(encodeMessage(reply), "upstream");
}

function upstreamErrors(bytes: Uint8Array): EdnsOption[] {
  try {
    const options = decodeMessage(bytes).edns?.options ?? [];
    return options.filter((option) => option.code === EdnsOptionCode.EXTENDED_ERROR);
  } catch {
    return []; // the pool checked ID and question; the rest is not worth failing over
  }
}
