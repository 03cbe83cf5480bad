/**
 * The one entry every door calls: decode, check the shape, run the chain within the query's
 * time budget, and finish the answer for the client. Response codes are data; the single
 * catch here turns anything a stage throws into SERVFAIL and a log line, so no query can
 * take the process down (DESIGN §3).
 */
import { decodeMessage, EdeCode, type Message, Rcode } from "../dns/mod.ts";
import type { QueryLog } from "../observe/query_log.ts";
import { replyAnswer } from "./answer.ts";
import { compose, type Handler } from "./compose.ts";
import { finishAnswer } from "./finish.ts";
import { checkShape } from "./guard.ts";
import type { Answer, ClientInfo, QueryContext, QueryLogEntry, Stage } from "./types.ts";

export interface ResolverOptions {
  /** The chain, in order (see chain.ts). */
  stages: readonly Stage[];
  /** Time budget of one query, milliseconds: the client gets an answer within it. */
  queryTimeoutMs: number;
  log: QueryLog;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/** A resolved query: the answer as the stages made it, and the bytes for this client. */
export interface Resolution {
  answer: Answer;
  /** Wire bytes to send: client's ID, OPT and padding as the client asked. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The decoded query, for what a door needs of it (the UDP door: the client's EDNS size). */
  query: Message;
}

export class Resolver {
  readonly #handler: Handler;
  readonly #timeoutMs: number;
  readonly #log: QueryLog;
  readonly #now: () => number;

  constructor(options: ResolverOptions) {
    this.#handler = compose(options.stages, () => {
      throw new Error("no stage answered the query");
    });
    this.#timeoutMs = options.queryTimeoutMs;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Resolves one wire-format query. Throws `DnsWireError` only when the query cannot be
   * decoded at all (the door decides: HTTP 400, FORMERR or silence); every other outcome is
   * an answer.
   */
  async resolve(raw: Uint8Array, client: ClientInfo, signal?: AbortSignal): Promise<Resolution> {
    const started = this.#now();
    const query = decodeMessage(raw);
    const question = query.questions[0];
    const log: QueryLogEntry = {
      time: started,
      client: client.address,
      door: client.door,
      method: client.method,
      name: question?.name ?? "",
      type: question?.type ?? 0,
    };
    const answer = await this.#answer(raw, query, client, log, signal);
    log.source ??= answer.source;
    log.rcode = answer.rcode;
    log.durationMs = this.#now() - started;
    this.#log.write(log);
    return { answer, bytes: finishAnswer(answer, query, raw), query };
  }

  async #answer(
    raw: Uint8Array,
    query: Message,
    client: ClientInfo,
    log: QueryLogEntry,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const refusal = checkShape(query);
    if (refusal !== undefined) return replyAnswer(query, refusal, "guard");
    // The budget's timer is made on first use: answers from the cache or local records never
    // need it, and one timer per query showed in the profile of cached answers.
    const arrived = performance.now();
    const timeoutMs = this.#timeoutMs;
    let budget: AbortSignal | undefined;
    const ctx: QueryContext = {
      raw,
      query,
      question: query.questions[0],
      client,
      get signal() {
        if (budget === undefined) {
          const left = Math.max(1, Math.round(timeoutMs - (performance.now() - arrived)));
          const timer = AbortSignal.timeout(left);
          budget = signal === undefined ? timer : AbortSignal.any([timer, signal]);
        }
        return budget;
      },
      log,
    };
    try {
      return await this.#handler(ctx);
    } catch (error) {
      log.error = oneLine(error);
      const ede = { infoCode: EdeCode.OTHER, text: "internal error" };
      return replyAnswer(query, { rcode: Rcode.SERVFAIL, ede }, "error");
    }
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split("\n", 1)[0];
}
