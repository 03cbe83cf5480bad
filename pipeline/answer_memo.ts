/**
 * Answer reuse, in one place: finished answers to repeated identical requests, for as long as
 * they stay right. A DoH client asking the same question as the second before (RFC 8484 asks
 * for ID 0, so every Firefox asking for a popular name sends the same URL) gets the bytes the
 * pipeline made then, without decoding, blocklist, cache lookup and finishing again.
 *
 * The protocol, all of it here:
 * - Requests: a door passes the request as it came (`MemoRequest`: a GET's URL, a POST's body),
 *   and the memo keys on it as it is (`sameRequest`): a URL never meets a body.
 * - What may be reused: only an answer a stage marked `Reusable` (`reusableAnswer`,
 *   `WHILE_STATE_HOLDS`, `untilStateMoves`, `countingReuse`): a fresh cache hit, its TTLs as
 *   they are for the rest of this second of its life, not near enough expiry to be prefetched;
 *   a block or local answer, as long as the lists or records stay as they are.
 * - How long: until its time ends, or at once when any state an answer depends on moves. Each
 *   owner of such state (the lists, the records, the cache) joins by one call, `dependOn`, and
 *   its `version` (a count that only grows) moving ends every remembered answer, so an edit
 *   takes effect on the next query as it does without the memo.
 *
 * It costs little when requests do not repeat: a fixed table of slots, each request's key
 * hashed to one, a slot holding the last key seen there and, from its second sight on, the
 * answer (a copy of its bytes). Remembering every answer in a Map instead made answers dearer
 * when no URL came twice: the entries outlived young-generation collections and were copied by
 * each. Requests that never repeat must not pay for the memo (`deno task bench:all`, miss rows:
 * every URL is new).
 */
import type { Profile } from "./profile.ts";
import type { Resolution } from "./resolver.ts";
import type { Answer, QueryLogEntry } from "./types.ts";

/** How long an answer stays as it is, and how a reuse of it counts. */
export interface Reusable {
  /** Until when (ms since the epoch, the resolver's clock) the answer's bytes hold. */
  until: number;
  /** Counts a reuse as its stage counts the answer (statistics, LRU use, prefetch popularity). */
  touch(): void;
}

/**
 * A request as a door received it: a GET's whole URL, or a POST's body. The same request
 * again is the same question asked the same way, so it may get the same finished answer.
 */
export type MemoRequest = string | Uint8Array;

/** Whatever owns state answers depend on: `version` moves whenever that state does. */
export interface VersionSource {
  readonly version: number;
}

export interface AnswerMemoOptions {
  /** Slots, a power of two: the most distinct requests remembered at once. */
  slots?: number;
}

/**
 * An answer that holds for as long as the state it came from (lists, records: an owner that
 * joined with `dependOn`), with nothing to count on reuse.
 */
export const WHILE_STATE_HOLDS: Reusable = { until: Infinity, touch() {} };

/**
 * An answer that holds for as long as the state it came from; each reuse is `counted`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { untilStateMoves } from "./answer_memo.ts";
 *
 * const stats = { blocked: 0 };
 * const reusable = untilStateMoves(() => void stats.blocked++);
 * reusable.touch();
 * assert.equal(stats.blocked, 1, "a reuse counts as the block it is");
 * assert.equal(reusable.until, Infinity, "only a version move ends it");
 * ```
 */
export function untilStateMoves(counted: () => void): Reusable {
  return { until: Infinity, touch: counted };
}

/**
 * Marks `answer` (one a stage made for this query) reusable as `reusable` says.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage } from "../dns/mod.ts";
 * import { replyAnswer } from "./answer_builders.ts";
 * import { reusableAnswer, WHILE_STATE_HOLDS } from "./answer_memo.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = decodeMessage(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * const answer = reusableAnswer(replyAnswer(query, {}, "local"), WHILE_STATE_HOLDS);
 * assert.equal(answer.reusable, WHILE_STATE_HOLDS);
 * ```
 */
export function reusableAnswer(answer: Answer, reusable: Reusable): Answer {
  answer.reusable = reusable;
  return answer;
}

/**
 * A later stage's reusable answer, counted by an earlier stage as well on each reuse (the
 * decision it skips); the answer itself when it is not reusable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage } from "../dns/mod.ts";
 * import { replyAnswer } from "./answer_builders.ts";
 * import { countingReuse, untilStateMoves } from "./answer_memo.ts";
 *
 * // RFC 8484 §4.1's example query: www.example.com A, ID 0, RD set.
 * const base64 = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
 * const query = decodeMessage(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
 * let hits = 0;
 * let allowed = 0;
 * const hit = { ...replyAnswer(query, {}, "cache"), reusable: untilStateMoves(() => hits++) };
 * const counted = countingReuse(hit, () => allowed++);
 * counted.reusable?.touch();
 * assert.deepEqual([hits, allowed], [1, 1], "the hit and the decision it skips");
 * const fresh = replyAnswer(query, {}, "upstream");
 * assert.equal(countingReuse(fresh, () => allowed++), fresh, "nothing to reuse");
 * ```
 */
export function countingReuse(answer: Answer, counted: () => void): Answer {
  const reusable = answer.reusable;
  if (reusable === undefined) return answer;
  const touch = () => {
    reusable.touch();
    counted();
  };
  return { ...answer, reusable: { until: reusable.until, touch } };
}

const DEFAULT_SLOTS = 256;
/** Larger answers are made afresh each time: their copy would cost more than it saves. */
const LARGEST_ANSWER = 4096;

/** An answer kept for its key: what a repeat gives back, and how long it holds. */
export interface Kept {
  readonly resolution: Resolution;
  /** The blocklist rule its log line names (a block answer's), if any. */
  readonly rule: string | undefined;
  readonly reusable: Reusable;
  /** The profile it was answered under: a client of another gets its own answer. */
  readonly profile: Profile;
  /** The sum of the sources' versions when it was kept. */
  readonly version: number;
}

class Slot {
  /** The last request that came to this slot (a body as a copy of its own). */
  key: MemoRequest = "";
  /** Its answer, once it came a second time; undefined until then. */
  kept: Kept | undefined = undefined;
}

/**
 * The memo a `Resolver` keeps repeated requests' answers in (`memo`); doors ask for them with
 * `Resolver.repeat`, passing the request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, encodeMessage, RClass, Rcode, RType } from "../dns/mod.ts";
 * import { MemoryBlocklist } from "../blocklist/memory_blocklist.ts";
 * import { createQueryLog } from "../observe/query_log.ts";
 * import { buildChain } from "./chain.ts";
 * import { Resolver } from "./resolver.ts";
 * import { AnswerMemo } from "./answer_memo.ts";
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
 * const lists = { version: 0 };
 * const memo = new AnswerMemo();
 * memo.dependOn(lists); // the lists' edits end remembered answers
 * const log = createQueryLog({ toStdout: false, capacity: 16 });
 * const resolver = new Resolver({ stages, queryTimeoutMs: 1000, log, memo });
 *
 * const blocked = ask("tracker.ads.example", RType.A);
 * const url = "https://gw.example/dns-query?dns=" + blocked.toBase64({ alphabet: "base64url" });
 * assert.equal(resolver.repeat(url, client), undefined, "nothing remembered yet");
 * resolver.resolve(blocked, client, undefined, url); // first sight: only noted
 * resolver.resolve(blocked, client, undefined, url); // second: remembered
 * const repeated = resolver.repeat(url, client);
 * assert.equal(repeated?.answer.source, "blocked");
 * assert.equal(decodeMessage(repeated.bytes).header.rcode, Rcode.NXDOMAIN);
 *
 * lists.version++; // a list was edited, say: every remembered answer goes at once
 * assert.equal(resolver.repeat(url, client), undefined);
 * ```
 */
export class AnswerMemo {
  readonly #slots: Slot[];
  readonly #mask: number;
  readonly #sources: VersionSource[] = [];

  constructor(options: AnswerMemoOptions = {}) {
    const count = options.slots ?? DEFAULT_SLOTS;
    if (count <= 0 || (count & (count - 1)) !== 0) {
      throw new RangeError(`slots must be a power of two, not ${count}`);
    }
    this.#slots = Array.from({ length: count }, () => new Slot());
    this.#mask = count - 1;
  }

  /**
   * `source` owns state answers depend on: from now on its version moving ends every
   * remembered answer. The one call a new stage's state owner makes to join.
   */
  dependOn(source: VersionSource): void {
    this.#sources.push(source);
  }

  /**
   * The answer remembered for `request`, answered under `profile`, if it still holds at `now`;
   * it counts as its stage's.
   */
  recall(request: MemoRequest, now: number, profile: Profile): Kept | undefined {
    const slot = this.#slots[slotOf(request) & this.#mask];
    const kept = slot.kept;
    // Another profile's answer to the same request is not this client's, nor counted as its.
    if (kept === undefined || kept.profile !== profile || !sameRequest(slot.key, request)) {
      return undefined;
    }
    if (now >= kept.reusable.until || kept.version !== this.#version()) {
      slot.kept = undefined;
      return undefined;
    }
    kept.reusable.touch();
    return kept;
  }

  /**
   * Notes that `request` was answered with `resolution`, and remembers it on the request's
   * second sight when its answer was marked reusable and the query log tells of no error (a
   * store that failed, answered around).
   */
  remember(
    request: MemoRequest,
    resolution: Resolution,
    log: QueryLogEntry,
    profile: Profile,
  ): void {
    const slot = this.#slots[slotOf(request) & this.#mask];
    if (!sameRequest(slot.key, request)) {
      // A door's body may be a view of a buffer it reuses: the slot keeps a copy.
      slot.key = typeof request === "string" ? request : request.slice();
      slot.kept = undefined;
      return;
    }
    const { answer, bytes } = resolution;
    const reusable = answer.reusable;
    if (reusable === undefined || bytes.length > LARGEST_ANSWER || log.error !== undefined) return;
    // Copies of both the answer and the bytes for this client: either may be a view into a
    // shared slab (dns/transient.ts), which a kept view would keep whole.
    const own = { ...resolution, answer: { ...answer, bytes: answer.bytes.slice() } };
    own.bytes = bytes.slice();
    slot.kept = { resolution: own, rule: log.rule, reusable, profile, version: this.#version() };
  }

  /** The sources' versions summed: each only grows, so any move moves the sum. */
  #version(): number {
    const sources = this.#sources;
    let sum = 0;
    for (let i = 0; i < sources.length; i++) sum += sources[i].version;
    return sum;
  }
}

/**
 * A slot number for a request from eight of its characters or bytes, spread over its second
 * half (where a URL's or a body's question name is): hashing all of it cost more than the rest
 * of the memo when requests did not repeat. Requests that meet in a slot only take turns in it.
 */
function slotOf(request: MemoRequest): number {
  const length = request.length;
  const step = (length >> 4) + 1;
  let hash = length;
  if (typeof request === "string") {
    for (let i = length - 1, n = 0; i >= 0 && n < 8; i -= step, n++) {
      hash = (Math.imul(hash, 31) + request.charCodeAt(i)) | 0;
    }
  } else {
    for (let i = length - 1, n = 0; i >= 0 && n < 8; i -= step, n++) {
      hash = (Math.imul(hash, 31) + request[i]) | 0;
    }
  }
  return hash ^ (hash >>> 13);
}

/**
 * Whether two requests are the same: equal URLs, or equal bodies. A body is compared as bytes,
 * not made into a string key per POST: that string was the memo's own cost of a repeated POST.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameRequest } from "./answer_memo.ts";
 *
 * const url = "https://gw.example/dns-query?dns=AAAB";
 * assert.ok(sameRequest(url, "https://gw.example/dns-query?dns=AAAB"));
 * assert.ok(sameRequest(new Uint8Array([0, 1, 2]), new Uint8Array([0, 1, 2])));
 * assert.ok(!sameRequest(new Uint8Array([0, 1, 2]), new Uint8Array([0, 1, 3])));
 * assert.ok(!sameRequest("\x00\x01\x02", new Uint8Array([0, 1, 2])), "a URL never meets a body");
 * ```
 */
export function sameRequest(a: MemoRequest, b: MemoRequest): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  const length = a.length;
  if (length !== b.length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
