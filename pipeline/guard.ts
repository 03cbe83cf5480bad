/**
 * The guard: what the gateway answers itself before anything else is asked. Shape checks run
 * before the chain (stages rely on exactly one question); the guard stage answers ANY
 * minimally (RFC 8482) so the gateway never amplifies, and refuses zone transfers (AXFR,
 * IXFR): a resolver has no zone to give, and passing them upstream only lets clients probe
 * the upstream's zones through us.
 */
import { EdeCode, Opcode, type QueryHead, Rcode, type ReplyInit, RType } from "../dns/mod.ts";
import { replyAnswer } from "./answer.ts";
import type { Stage } from "./types.ts";

/**
 * Returns the reply for a query the pipeline must not process, or undefined when its shape
 * is fine: only standard queries (NOTIMP otherwise), exactly one question, not a response
 * (FORMERR), EDNS version 0 (BADVERS, RFC 6891 §6.1.3).
 */
export function checkShape(head: QueryHead): ReplyInit | undefined {
  if (head.opcode !== Opcode.QUERY) return { rcode: Rcode.NOTIMP };
  if (head.response || head.questionCount !== 1) return { rcode: Rcode.FORMERR };
  if (head.edns !== undefined && head.edns.version !== 0) return { rcode: Rcode.BADVERS };
  return undefined;
}

/** RFC 8482 §4.2: answer ANY with one synthesized HINFO record instead of everything. */
const ANY_TTL = 3600;
const RFC8482_HINFO = new Uint8Array([7, ...new TextEncoder().encode("RFC8482"), 0]);

export const guardStage: Stage = (ctx, next) => {
  const type = ctx.question.type;
  if (type === RType.AXFR || type === RType.IXFR) {
    const ede = { infoCode: EdeCode.PROHIBITED, text: "zone transfers are not served" };
    return replyAnswer(ctx.query, { rcode: Rcode.REFUSED, ede }, "guard");
  }
  if (type !== RType.ANY) return next();
  const hinfo = {
    name: ctx.question.name,
    type: RType.HINFO,
    class: ctx.question.class,
    ttl: ANY_TTL,
    data: { bytes: RFC8482_HINFO },
  };
  return replyAnswer(ctx.query, { answers: [hinfo] }, "guard");
};
