/**
 * The one entry every door calls: decode, check the shape, run the chain within the query's
 * time budget, and finish the answer for the client. Response codes are data; the single
 * catch here turns anything a stage throws into SERVFAIL and a log line, so no query can
 * take the process down (DESIGN §3).
 */
import {
  decodeMessage,
  EdeCode,
  headOf,
  type Message,
  peekQuery,
  type QueryHead,
  Rcode,
} from "../dns/mod.ts";
import type { QueryLog } from "../observe/query_log.ts";
import type { AnswerMemo, MemoRequest } from "./answer_memo.ts";
import { replyAnswer } from "./answer_builders.ts";
import type { ReplyInit } from "../dns/mod.ts";
import { compose, type Handler } from "./compose.ts";
import { type Budget, ResolverContext } from "./context.ts";
import { finishAnswer } from "./finish.ts";
import { checkShape } from "./guard.ts";
import { type ClientDirectory, onlyProfile, plainProfile } from "./profile.ts";
import type { Answer, ClientInfo, MaybePromise, QueryLogEntry, Stage } from "./types.ts";

export interface ResolverOptions {
  /** The chain, in order (see chain.ts). */
  stages: readonly Stage[];
  /** Time budget of one query, milliseconds: the client gets an answer within it. */
  queryTimeoutMs: number;
  log: QueryLog;
  /** Where answers to repeated identical requests are kept (doors pass their requests). */
  memo?: AnswerMemo;
  /** Who is who (pipeline/profile.ts); without it, every client gets one plain profile. */
  directory?: ClientDirectory;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/** A resolved query: the answer as the stages made it, and the bytes for this client. */
export interface Resolution {
  answer: Answer;
  /**
   * Wire bytes to send: client's ID, OPT and padding as the client asked. Usually a view into
   * a shared slab (dns/transient.ts): send the view, never its `.buffer`.
   */
  bytes: Uint8Array<ArrayBuffer>;
  /** The query's head, for what a door needs of it (the UDP door: the client's EDNS size). */
  head: QueryHead;
}

/**
 * What every door calls with a query's bytes (`resolve`) and, for DoH, with the request as it
 * came (`repeat`); see the top of this file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, RClass, Rcode, RType } from "../dns/mod.ts";
 * import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
 * import { createQueryLog } from "../observe/query_log.ts";
 * import { buildChain } from "./chain.ts";
 * import { Resolver } from "./resolver.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
 * const message = decodeMessage(query);
 * const ask = (name: string, type: number) =>
 *   encodeMessage({
 *     ...message,
 *     header: { ...message.header, id: 7 },
 *     questions: [{ name, type, class: RClass.IN }],
 *   });
 * const client = { address: "192.0.2.7", door: "udp" } as const;
 * // No upstream in this example: what would go upstream fails.
 * const pool = { resolve: () => Promise.reject(new Error("no upstream here")) };
 * const stages = buildChain({
 *   forward: { pool, forwardClientSubnet: false },
 *   blocklist: {
 *     blocklist: new MemoryBlocklist({ custom: { block: ["ads.example"] } }),
 *     answer: { response: "nxdomain", ttl: 60 },
 *     failMode: "open",
 *   },
 * });
 * const log = createQueryLog({ toStdout: false, capacity: 16 });
 * const resolver = new Resolver({ stages, queryTimeoutMs: 1000, log });
 *
 * // A blocked name is answered at once: no promise to wait for.
 * const blocked = resolver.resolve(ask("tracker.ads.example", RType.A), client);
 * assert.ok(!(blocked instanceof Promise));
 * assert.equal(blocked.answer.source, "blocked");
 * assert.equal(decodeMessage(blocked.bytes).header.rcode, Rcode.NXDOMAIN);
 * assert.equal(decodeMessage(blocked.bytes).header.id, 7, "the client's own ID");
 *
 * // ANY gets one HINFO record from the guard (RFC 8482), nothing is looked up.
 * const any = await resolver.resolve(ask("example.com", RType.ANY), client);
 * assert.equal(decodeMessage(any.bytes).answers[0].type, RType.HINFO);
 *
 * // What cannot be answered is an answer too: SERVFAIL, and the reason in the log.
 * const failed = await resolver.resolve(query, client);
 * assert.equal(failed.answer.rcode, Rcode.SERVFAIL);
 * assert.deepEqual(log.recent().map((entry) => entry.source), ["blocked", "guard", "error"]);
 * assert.equal(log.recent()[2].error, "no upstream here");
 * ```
 */
export class Resolver {
  readonly #handler: Handler;
  readonly #budget: Budget;
  readonly #log: QueryLog;
  readonly #memo: AnswerMemo | undefined;
  readonly #directory: ClientDirectory;
  readonly #now: () => number;

  constructor(options: ResolverOptions) {
    this.#handler = compose(options.stages, () => {
      throw new Error("no stage answered the query");
    });
    this.#log = options.log;
    this.#memo = options.memo;
    this.#directory = options.directory ?? onlyProfile(plainProfile());
    this.#now = options.now ?? Date.now;
    this.#budget = { ms: options.queryTimeoutMs, now: this.#now };
  }

  /**
   * Resolves one wire-format query. Throws `DnsWireError` only when the query cannot be
   * decoded at all (the door decides: HTTP 400, FORMERR or silence); every other outcome is
   * an answer. The resolution comes at once when every stage answered at once (cache hits,
   * blocks, local records), so a door can send it without an await; a promise otherwise.
   * With `request` (the DoH request the query came in: answer_memo.ts), a reusable answer is
   * remembered for `repeat`.
   */
  resolve(
    raw: Uint8Array,
    client: ClientInfo,
    signal?: AbortSignal,
    request?: MemoRequest,
  ): MaybePromise<Resolution> {
    const started = this.#now();
    // The common shape is read without a full decode (which showed in the profile of cached
    // answers); any other is decoded in full here, so malformed queries still throw here.
    let query: Message | undefined;
    let head = peekQuery(raw);
    if (head === undefined) {
      query = decodeMessage(raw);
      head = headOf(query);
    }
    const question = head.question;
    const identity = client.identity ?? this.#directory.identify(client.clientId, client.address);
    const log: QueryLogEntry = {
      time: started,
      client: client.address,
      door: client.door,
      method: client.method,
      profile: identity?.profile.name,
      clientName: identity?.name,
      logMode: identity?.profile.log,
      name: question?.name ?? "",
      type: question?.type ?? 0,
    };
    const refusal = identity === undefined ? UNKNOWN_CLIENT : checkShape(head);
    if (refusal !== undefined) {
      const answer = replyAnswer(query ?? decodeMessage(raw), refusal, "guard");
      return this.#finish(answer, raw, head, log, request);
    }
    // The budget's timer is made on first use (ResolverContext.signal): answers from the
    // cache or local records never need it.
    const ctx = new ResolverContext({
      raw,
      head,
      query,
      client,
      identity: identity!,
      log,
      budget: this.#budget,
      started,
      clientSignal: signal,
    });
    let answer: MaybePromise<Answer>;
    try {
      answer = this.#handler(ctx);
    } catch (error) {
      answer = failure(ctx, error);
    }
    if (answer instanceof Promise) {
      return answer.then(
        (answered) => this.#finish(answered, raw, head, log, request, ctx),
        (error) => this.#finish(failure(ctx, error), raw, head, log, request, ctx),
      );
    }
    return this.#finish(answer, raw, head, log, request, ctx);
  }

  /**
   * The answer remembered for `request` (a GET's URL, a POST's body) while it holds
   * (answer_memo.ts), logged as the answer it stands for (a cache hit, a block); undefined when
   * there is none. Its bytes are shared: send, never patch.
   */
  repeat(request: MemoRequest, client: ClientInfo): Resolution | undefined {
    const memo = this.#memo;
    if (memo === undefined) return undefined;
    const identity = client.identity ?? this.#directory.identify(client.clientId, client.address);
    if (identity === undefined) return undefined;
    const time = this.#now();
    const kept = memo.recall(request, time, identity.profile);
    if (kept === undefined) return undefined;
    const { answer, head } = kept.resolution;
    const log: QueryLogEntry = {
      time,
      client: client.address,
      door: client.door,
      method: client.method,
      profile: identity.profile.name,
      clientName: identity.name,
      logMode: identity.profile.log,
      name: head.question!.name,
      type: head.question!.type,
    };
    if (kept.rule !== undefined) log.rule = kept.rule;
    log.source = answer.source;
    log.rcode = answer.rcode;
    log.durationMs = 0;
    this.#log.write(log, answer.bytes);
    return kept.resolution;
  }

  /**
   * Logs the answer and shapes it for the client; the query's timer, if any, goes. With a
   * request, the memo hears of it (and may keep it for the same request again).
   */
  #finish(
    answer: Answer,
    raw: Uint8Array,
    head: QueryHead,
    log: QueryLogEntry,
    request: MemoRequest | undefined,
    ctx?: ResolverContext,
  ): Resolution {
    ctx?.dispose();
    log.source ??= answer.source;
    log.rcode = answer.rcode;
    log.durationMs = this.#now() - log.time;
    this.#log.write(log, answer.bytes);
    const resolution = { answer, bytes: finishAnswer(answer, head, raw), head };
    if (request !== undefined && ctx !== undefined) {
      this.#memo?.remember(request, resolution, log, ctx.identity.profile);
    }
    return resolution;
  }
}

/** A client the directory does not know, when only known clients are answered (CLIENTS_ONLY). */
const UNKNOWN_CLIENT: ReplyInit = {
  rcode: Rcode.REFUSED,
  ede: { infoCode: EdeCode.PROHIBITED, text: "unknown client" },
};

/** The one catch of the pipeline: whatever a stage threw is SERVFAIL and a log line. */
function failure(ctx: ResolverContext, error: unknown): Answer {
  ctx.log.error = oneLine(error);
  const ede = { infoCode: EdeCode.OTHER, text: "internal error" };
  return replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL, ede }, "error");
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split("\n", 1)[0];
}
