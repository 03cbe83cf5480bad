/**
 * The forward stage: the last stage of the chain. It asks the upstream pool (a forward zone's
 * when one holds the name, the default one otherwise) with a query of its own making (fresh
 * header, our EDNS size, the client's DO/CD/AD bits, and none of the client's cookie, padding
 * or — unless configured — client-subnet options) and turns the pool giving up into SERVFAIL
 * with an Extended DNS Error, within the query's budget.
 */
import { EdeCode, Rcode } from "../dns/mod.ts";
import { answerFromBytes, replyAnswer } from "../pipeline/answer.ts";
import type { Stage } from "../pipeline/types.ts";
import type { UpstreamPool } from "./pool.ts";
import { upstreamQueryBytes } from "./upstream_query.ts";

export interface ForwardOptions {
  /** The default upstreams (UPSTREAMS). */
  pool: Pick<UpstreamPool, "resolve">;
  /** Conditional forwarding: the pool of the forward zone holding a name, if one does. */
  route?: (name: string) => Pick<UpstreamPool, "resolve"> | undefined;
  /** Pass the client's EDNS client-subnet option on (off by default, for privacy). */
  forwardClientSubnet: boolean;
}

export function forwardStage(options: ForwardOptions): Stage {
  return async (ctx) => {
    const query = upstreamQueryBytes(ctx, options.forwardClientSubnet);
    try {
      const pool = options.route?.(ctx.question.name) ?? options.pool;
      const reply = await pool.resolve(query, ctx.signal);
      ctx.log.upstream = reply.upstream;
      return answerFromBytes(reply.bytes, "upstream");
    } catch (error) {
      ctx.log.error = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
      const ede = { infoCode: EdeCode.NO_REACHABLE_AUTHORITY, text: "no upstream answered" };
      return replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL, ede }, "error");
    }
  };
}
