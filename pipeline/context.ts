/**
 * The `QueryContext` the resolver hands to the chain. A class rather than an object literal
 * with closures: it is made once per query, and what most queries never use -- the full
 * decode, the budget's timer -- is made on first read.
 */
import { decodeMessage, type Message, type QueryHead, type Question } from "../dns/mod.ts";
import type { Identity } from "./profile.ts";
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

/** What a query's context is made of: the resolver makes one for each query it runs. */
export interface ResolverContextInit {
  raw: Uint8Array;
  head: QueryHead;
  /** The decoded query, when the resolver has decoded it already; else decoded on first read. */
  query: Message | undefined;
  client: ClientInfo;
  identity: Identity;
  log: QueryLogEntry;
  budget: Budget;
  /** When the query arrived, on the budget's clock. */
  started: number;
  /** The client's own signal, when its door passes one: it ends the budget early. */
  clientSignal: AbortSignal | undefined;
}

/**
 * One query as the stages see it, made by the resolver from a `ResolverContextInit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peekQuery } from "../dns/mod.ts";
 * import { ResolverContext } from "./context.ts";
 * import { plainProfile } from "./profile.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const raw = Uint8Array.from(atob("AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"), (c) => c.charCodeAt(0));
 * const ctx = new ResolverContext({
 *   raw,
 *   head: peekQuery(raw)!,
 *   query: undefined,
 *   client: { address: "192.0.2.1", door: "udp" },
 *   identity: { profile: plainProfile() },
 *   log: { time: 0, client: "192.0.2.1", door: "udp", name: "www.example.com", type: 1 },
 *   budget: { ms: 1000, now: () => 0 },
 *   started: 0,
 *   clientSignal: undefined,
 * });
 * assert.equal(ctx.question.name, "www.example.com");
 * assert.equal(ctx.query.header.id, 0, "decoded on first read");
 * assert.equal(ctx.signal.aborted, false);
 * assert.equal(ctx.deadline.aborted, false, "the budget, the signal's source");
 * ctx.dispose();
 * ```
 */
export class ResolverContext implements QueryContext {
  readonly raw: Uint8Array;
  readonly head: QueryHead;
  readonly question: Question;
  readonly client: ClientInfo;
  readonly identity: Identity;
  readonly log: QueryLogEntry;
  #query: Message | undefined;
  #deadline: Deadline | undefined;
  readonly #clientSignal: AbortSignal | undefined;
  readonly #budget: Budget;
  readonly #started: number;

  constructor(init: ResolverContextInit) {
    this.raw = init.raw;
    this.head = init.head;
    // checkShape has made sure there is exactly one question before any stage reads it.
    this.question = init.head.question!;
    this.client = init.client;
    this.identity = init.identity;
    this.log = init.log;
    this.#query = init.query;
    this.#budget = init.budget;
    this.#started = init.started;
    this.#clientSignal = init.clientSignal;
  }

  get query(): Message {
    return this.#query ??= decodeMessage(this.raw);
  }

  get deadline(): Deadline {
    if (this.#deadline === undefined) {
      const { ms, now } = this.#budget;
      // At most the whole budget, whatever the wall clock did meanwhile.
      const left = Math.min(ms, Math.max(1, Math.round(this.#started + ms - now())));
      this.#deadline = new Deadline(left, this.#clientSignal);
    }
    return this.#deadline;
  }

  get signal(): AbortSignal {
    return this.deadline.signal;
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
    identity: ctx.identity,
    signal,
    log,
  };
}
