/**
 * The `QueryContext` the resolver hands to the chain. A class rather than an object literal
 * with closures: it is made once per query, and what most queries never use — the full
 * decode, the budget's timer — is made on first read.
 */
import { decodeMessage, type Message, type QueryHead, type Question } from "../dns/mod.ts";
import type { ClientInfo, QueryContext, QueryLogEntry } from "./types.ts";
import { Deadline } from "../runtime/deadline.ts";

/**
 * Queries' time budget: `ms` from their start on the resolver's clock (`now`), the clock their
 * log entries are stamped with, so answering at once costs no reading of a second clock.
 */
export interface Budget {
  ms: number;
  now: () => number;
}

export class ResolverContext implements QueryContext {
  readonly raw: Uint8Array;
  readonly head: QueryHead;
  readonly question: Question;
  readonly client: ClientInfo;
  readonly log: QueryLogEntry;
  #query: Message | undefined;
  #deadline: Deadline | undefined;
  readonly #clientSignal: AbortSignal | undefined;
  readonly #budget: Budget;
  readonly #started: number;

  constructor(
    raw: Uint8Array,
    head: QueryHead,
    query: Message | undefined,
    client: ClientInfo,
    log: QueryLogEntry,
    budget: Budget,
    /** When the query arrived, on the budget's clock. */
    started: number,
    clientSignal: AbortSignal | undefined,
  ) {
    this.raw = raw;
    this.head = head;
    // checkShape has made sure there is exactly one question before any stage reads it.
    this.question = head.question!;
    this.client = client;
    this.log = log;
    this.#query = query;
    this.#budget = budget;
    this.#started = started;
    this.#clientSignal = clientSignal;
  }

  get query(): Message {
    return this.#query ??= decodeMessage(this.raw);
  }

  get signal(): AbortSignal {
    if (this.#deadline === undefined) {
      const { ms, now } = this.#budget;
      // At most the whole budget, whatever the wall clock did meanwhile.
      const left = Math.min(ms, Math.max(1, Math.round(this.#started + ms - now())));
      this.#deadline = new Deadline(left, this.#clientSignal);
    }
    return this.#deadline.signal;
  }

  /** The query is answered: its budget's timer, if one was made, goes. */
  dispose(): void {
    this.#deadline?.dispose();
  }
}

/**
 * A context for work outside the client's query (a background refresh): the same query with
 * its own budget and log entry. Getters are forwarded, so nothing is decoded early.
 */
export function detachedContext(
  ctx: QueryContext,
  signal: AbortSignal,
  log: QueryLogEntry,
): QueryContext {
  return {
    raw: ctx.raw,
    get query() {
      return ctx.query;
    },
    head: ctx.head,
    question: ctx.question,
    client: ctx.client,
    signal,
    log,
  };
}
