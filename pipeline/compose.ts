/**
 * Runs stages in order, each deciding whether to answer or call `next()`, like Hono's
 * middleware runner. A stage that calls `next()` past the last stage gets `terminal`.
 */
import type { Answer, MaybePromise, QueryContext, Stage } from "./types.ts";

export type Handler = (ctx: QueryContext) => MaybePromise<Answer>;

/**
 * The stages as one handler: each stage gets the context and a `next` that runs the rest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, headOf, Rcode, RType } from "../dns/mod.ts";
 * import { replyAnswer } from "./answer_builders.ts";
 * import { compose } from "./compose.ts";
 * import { plainProfile } from "./profile.ts";
 * import type { QueryContext, Stage } from "./types.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * const ctx: QueryContext = {
 *   raw: query,
 *   query: message,
 *   head: headOf(message),
 *   question: message.questions[0],
 *   client: { address: "192.0.2.7", door: "udp" },
 *   identity: { profile: plainProfile() },
 *   signal: new AbortController().signal,
 *   log: { time: Date.now(), client: "192.0.2.7", door: "udp", name: "www.example.com", type: 1 },
 * };
 * const seen: string[] = [];
 * const noted: Stage = (ctx, next) => {
 *   seen.push(ctx.question.name);
 *   return next();
 * };
 * const refuseTxt: Stage = (ctx, next) =>
 *   ctx.question.type === RType.TXT
 *     ? replyAnswer(ctx.query, { rcode: Rcode.REFUSED }, "guard")
 *     : next();
 * const handler = compose(
 *   [noted, refuseTxt],
 *   (ctx) => replyAnswer(ctx.query, { rcode: Rcode.NXDOMAIN }, "local"),
 * );
 * const answer = await handler(ctx);
 * assert.equal(answer.rcode, Rcode.NXDOMAIN, "no stage answered an A query: the terminal did");
 * assert.deepEqual(seen, ["www.example.com"]);
 *
 * const twice = compose([(_, next) => (next(), next())], () => replyAnswer(message, {}, "local"));
 * assert.throws(() => twice(ctx), /called next\(\) twice/);
 * ```
 */
export function compose(stages: readonly Stage[], terminal: Handler): Handler {
  return (ctx) => {
    let reached = -1;
    const dispatch = (index: number): MaybePromise<Answer> => {
      if (index <= reached) throw new Error(`stage ${index - 1} called next() twice`);
      reached = index;
      const stage = stages[index];
      if (stage === undefined) return terminal(ctx);
      return stage(ctx, () => dispatch(index + 1));
    };
    return dispatch(0);
  };
}
