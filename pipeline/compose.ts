/**
 * Runs stages in order, each deciding whether to answer or call `next()`, like Hono's
 * middleware runner. A stage that calls `next()` past the last stage gets `terminal`.
 */
import type { Answer, MaybePromise, QueryContext, Stage } from "./types.ts";

export type Handler = (ctx: QueryContext) => MaybePromise<Answer>;

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
