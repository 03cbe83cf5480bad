/**
 * The local-records stage (DESIGN §3): right after the guard, before the blocklist, so an
 * explicit local answer wins over any list and never costs an upstream round trip. Its answers
 * are authoritative (AA) and carry source "local"; the cache never keeps them (it stands after
 * this stage), so an edited records file takes effect on the next query.
 */
import { RClass } from "../dns/mod.ts";
import { replyAnswer } from "../pipeline/answer_builders.ts";
import { reusableAnswer, WHILE_STATE_HOLDS } from "../pipeline/answer_memo.ts";
import type { Stage } from "../pipeline/types.ts";
import { lookup } from "./lookup.ts";
import type { RecordStore } from "./store.ts";

export interface LocalStageOptions {
  /** The records in force, read on every query so that a reload takes effect at once. */
  records: { readonly current: RecordStore };
}

export function localStage(options: LocalStageOptions): Stage {
  return (ctx, next) => {
    const { name, type } = ctx.question;
    if (ctx.question.class !== RClass.IN) return next();
    const found = lookup(options.records.current, name, type);
    if (found === undefined) return next();
    const init = { ...found, authoritative: true };
    // Right until the records change: their version bounds its reuse (answer_memo.ts).
    return reusableAnswer(replyAnswer(ctx.query, init, "local"), WHILE_STATE_HOLDS);
  };
}
