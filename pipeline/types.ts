/**
 * The pipeline's vocabulary (DESIGN §3): every door turns a query into a `QueryContext`,
 * stages pass it along, and an `Answer` comes back carrying what the doors need without
 * decoding the reply again.
 */
import type { Message, QueryHead, Question } from "../dns/mod.ts";
import type { Reusable } from "./answer_memo.ts";
import type { Identity, ProfileLogMode } from "./profile.ts";
import type { Deadline } from "../runtime/deadline.ts";

/** The reuse mark of an `Answer`, defined with the rest of answer reuse (answer_memo.ts). */
export type { Reusable };

/** The door a query came in through. */
export type Door = "doh" | "json" | "udp" | "tcp" | "dot";

/** Where an answer came from; the query log and metrics report it. */
export type AnswerSource = "guard" | "local" | "blocked" | "cache" | "stale" | "upstream" | "error";

export interface ClientInfo {
  /** The client's IP address, "" when the door cannot tell (e.g. in-process tests). */
  address: string;
  door: Door;
  /**
   * DoH: the HTTP method. Clients differ (Chromium POSTs, Firefox GETs), and when one of them
   * fails this is the first thing to know.
   */
  method?: "GET" | "POST";
  /** The ClientID it sent (the DoH path, the DoT server name), lower-cased and checked. */
  clientId?: string;
  /**
   * Who it is, when the door has asked the directory already (to admit it); else the resolver
   * asks (pipeline/profile.ts).
   */
  identity?: Identity;
}

/** One line of the query log; stages fill in what they learn. */
export interface QueryLogEntry {
  /** Milliseconds since the epoch when the query arrived. */
  time: number;
  client: string;
  door: Door;
  /** DoH: the HTTP method the query came with. */
  method?: "GET" | "POST";
  /** The profile the query was answered under. */
  profile?: string;
  /** The client's display name, when it is a mapped client. */
  clientName?: string;
  /** What the query log keeps of this query: its profile's `log` (undefined: LOG_CLIENT). */
  logMode?: ProfileLogMode;
  name: string;
  type: number;
  source?: AnswerSource;
  /** The blocklist entry that blocked the name, as "list: entry". */
  rule?: string;
  /** The upstream that answered, when one did. */
  upstream?: string;
  rcode?: number;
  /** Total time in the pipeline, milliseconds. */
  durationMs?: number;
  /** One-line reason when the answer is an error the gateway made (e.g. every upstream failed). */
  error?: string;
}

export interface QueryContext {
  /** The query exactly as the client sent it. Never modified (DESIGN §3: copy, then patch). */
  readonly raw: Uint8Array;
  /**
   * The decoded query, decoded on first read: answers from the cache never need more than
   * `head` and `question`, and a full decode per query showed in the profile of cached
   * answers. The resolver has checked that decoding it cannot fail.
   */
  readonly query: Message;
  /** Header bits and the OPT record in brief, known without the full decode. */
  readonly head: QueryHead;
  /** The one question (the resolver guarantees exactly one before the chain runs). */
  readonly question: Question;
  readonly client: ClientInfo;
  /** Who the client is, and so the profile its query is answered under. */
  readonly identity: Identity;
  /** Aborts when the query's time budget runs out or the client goes away. */
  readonly signal: AbortSignal;
  /**
   * The same budget as a `Deadline` (runtime/deadline.ts), where the context has one (the
   * resolver's does): the forward stage waits on it without an AbortSignal, which a miss
   * would otherwise make and listen to.
   */
  readonly deadline?: Deadline;
  readonly log: QueryLogEntry;
}

export interface Answer {
  /** The reply in wire format. Doors patch a copy (ID, OPT, padding), never these bytes. */
  bytes: Uint8Array;
  rcode: number;
  /**
   * How long the answer may be cached by HTTP caches and clients (seconds): the minimum TTL of
   * its records, or the negative TTL from the SOA; undefined when it must not be cached.
   */
  ttl: number | undefined;
  /** Byte offsets of every record's TTL field, so a cache can age them in place in a copy. */
  ttlOffsets: number[];
  source: AnswerSource;
  /**
   * The SCOPE PREFIX-LENGTH of the reply's client-subnet option (RFC 7871), undefined when it
   * has none. Such a reply was made for one client's subnet: finish.ts gives every client its
   * own option back with this scope, never the option in these bytes.
   */
  subnetScope?: number;
  /**
   * The CNAME and DNAME targets of its answer section, when whoever made it knows them already
   * (the cache reads them once, when it keeps an answer); else read from the bytes when needed
   * (blocklist/stage.ts `cnameTargets`).
   */
  aliases?: readonly string[];
  /**
   * The A and AAAA addresses of its answer section, 16 bytes each (dns/view.ts `answerAddresses`),
   * when whoever made it knows them already (the cache reads them once, with the aliases);
   * else read from the bytes when needed (blocklist/stage.ts `answerAddressesOf`).
   */
  addresses?: Uint8Array;
  /**
   * Set by a stage on an answer whose bytes stay as they are for a while: the same request
   * may be given the same finished answer until then (answer_memo.ts).
   */
  reusable?: Reusable;
}

/**
 * An answer now, or one to wait for. Stages answer at once when they can (a cache hit, a
 * block, a local record) and the resolver then finishes without a single await: on a cached
 * DoH answer, the promises and turns of the chain showed in the gateway's CPU (`deno task
 * bench:all`, cached rows).
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A step of the pipeline. Call `next()` to pass the query on, or return an answer (as it is
 * when it is ready; a promise when it has to wait). Throwing and rejecting mean the same.
 */
export type Stage = (ctx: QueryContext, next: () => MaybePromise<Answer>) => MaybePromise<Answer>;
