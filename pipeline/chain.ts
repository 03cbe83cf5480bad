/**
 * The order of the pipeline, in one place. ORDER MATTERS (DESIGN §3): each line says why a
 * stage stands where it does. Adding a stage is one line here.
 *
 * Before the chain, the resolver has decoded the query and refused shapes no stage should see
 * (not a standard query, not exactly one question, unknown EDNS version).
 */
import { type ForwardOptions, forwardStage } from "../upstream/stage.ts";
import { guardStage } from "./guard.ts";
import type { Stage } from "./types.ts";

export interface ChainOptions {
  forward: ForwardOptions;
}

export function buildChain(options: ChainOptions): Stage[] {
  return [
    // guard: answers ANY minimally (RFC 8482) before any lookup could amplify it.
    guardStage,
    // forward: asks the upstreams; last, because it answers everything that reaches it.
    forwardStage(options.forward),
  ];
}
