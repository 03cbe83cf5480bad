/**
 * The guard: what the gateway answers itself before anything else is asked. Shape checks run
 * before the chain (stages rely on exactly one question); the guard stage answers ANY
 * minimally (RFC 8482) so the gateway never amplifies, and refuses zone transfers (AXFR,
 * IXFR): a resolver has no zone to give, and passing them upstream only lets clients probe
 * the upstream's zones through us.
 */
import { EdeCode, Opcode, type QueryHead, Rcode, type ReplyInit, RType } from "../dns/mod.ts";
import { replyAnswer } from "./answer_builders.ts";
import type { Stage } from "./types.ts";

/**
 * Returns the reply for a query the pipeline must not process, or undefined when its shape
 * is fine: only standard queries (NOTIMP otherwise), exactly one question, not a response
 * (FORMERR), EDNS version 0 (BADVERS, RFC 6891 §6.1.3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Opcode, peekQuery, Rcode } from "../dns/mod.ts";
 * import { checkShape } from "./guard.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const head = peekQuery(query)!;
 * assert.equal(checkShape(head), undefined, "a standard query with one question");
 * assert.deepEqual(checkShape({ ...head, opcode: Opcode.NOTIFY }), { rcode: Rcode.NOTIMP });
 * assert.deepEqual(checkShape({ ...head, questionCount: 2 }), { rcode: Rcode.FORMERR });
 * assert.deepEqual(checkShape({ ...head, response: true }), { rcode: Rcode.FORMERR });
 * ```
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

/**
 * The guard stage: zone transfers refused, ANY answered with one HINFO, the rest passed on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, headOf, type Message, Rcode, RType } from "../dns/mod.ts";
 * import { replyAnswer } from "./answer_builders.ts";
 * import { guardStage } from "./guard.ts";
 * import { plainProfile } from "./profile.ts";
 * import type { QueryContext } from "./types.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = decodeMessage(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * const contextOf = (message: Message): QueryContext => ({
 *   raw: encodeMessage(message),
 *   query: message,
 *   head: headOf(message),
 *   question: message.questions[0],
 *   client: { address: "192.0.2.7", door: "udp" },
 *   identity: { profile: plainProfile() },
 *   signal: new AbortController().signal,
 *   log: { time: Date.now(), client: "192.0.2.7", door: "udp", name: "", type: 0 },
 * });
 * const asking = (type: number) => ({ ...query, questions: [{ ...query.questions[0], type }] });
 * const passedOn = () => replyAnswer(query, { rcode: Rcode.NXDOMAIN }, "local");
 *
 * const any = await guardStage(contextOf(asking(RType.ANY)), passedOn);
 * assert.equal(any.source, "guard");
 * assert.deepEqual(decodeMessage(any.bytes).answers.map((record) => record.type), [RType.HINFO]);
 * const axfr = await guardStage(contextOf(asking(RType.AXFR)), passedOn);
 * assert.equal(axfr.rcode, Rcode.REFUSED);
 * const a = await guardStage(contextOf(query), passedOn);
 * assert.equal(a.source, "local", "anything else goes on down the chain");
 * ```
 */
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
