/**
 * Finished answers to repeated identical requests, for as long as they stay right: a DoH
 * client asking the same question as the second before (RFC 8484 asks for ID 0, so every
 * Firefox asking for a popular name sends the same URL) gets the bytes the pipeline made then,
 * without decoding, blocklist, cache lookup and finishing again.
 *
 * A remembered answer is only one a stage marked reusable (types.ts `Reusable`): a fresh
 * cache hit, its TTLs as they are for the rest of this second of its life, not near enough
 * expiry to be prefetched; a block or local answer, as long as the lists or records stay as
 * they are. It goes when its time ends, or at once when anything an answer depends on moves
 * (`version`: list loads and edits, records reloads, cache flushes), so an edit takes effect
 * on the next query as it does without the memo.
 *
 * It costs little when requests do not repeat: a fixed table of slots, each request's key
 * hashed to one, a slot holding the last key seen there and, from its second sight on, the
 * answer (a copy of its bytes). Remembering every answer in a Map instead made answers dearer
 * when no URL came twice: the entries outlived young-generation collections and were copied by
 * each. Requests that never repeat must not pay for the memo (`deno task bench:all`, miss rows:
 * every URL is new).
 *
 * Keys are the door's: the whole request URL of a GET, the body of a POST, spelled so that
 * the two cannot meet (`postKey`).
 */
import type { Resolution } from "./resolver.ts";
import type { QueryLogEntry, Reusable } from "./types.ts";

export interface AnswerMemoOptions {
  /**
   * A number that moves whenever any answer may have changed (a sum of counters that only
   * grow: each component's edits move the sum).
   */
  version: () => number;
  /** Slots, a power of two: the most distinct requests remembered at once. */
  slots?: number;
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
  /** `version` when it was kept. */
  readonly version: number;
}

class Slot {
  /** The last key that came to this slot. */
  key = "";
  /** Its answer, once it came a second time; undefined until then. */
  kept: Kept | undefined = undefined;
}

/**
 * The memo a `Resolver` keeps repeated requests' answers in (`memo`); doors ask for them with
 * `Resolver.repeat`, by the request's key.
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
 * let version = 0;
 * const memo = new AnswerMemo({ version: () => version });
 * const log = createQueryLog({ toStdout: false, capacity: 16 });
 * const resolver = new Resolver({ stages, queryTimeoutMs: 1000, log, memo });
 *
 * const blocked = ask("tracker.ads.example", RType.A);
 * const key = "/dns-query?dns=" + btoa(String.fromCharCode(...blocked));
 * assert.equal(resolver.repeat(key, client), undefined, "nothing remembered yet");
 * resolver.resolve(blocked, client, undefined, key); // first sight: only noted
 * resolver.resolve(blocked, client, undefined, key); // second: remembered
 * const repeated = resolver.repeat(key, client);
 * assert.equal(repeated?.answer.source, "blocked");
 * assert.equal(decodeMessage(repeated.bytes).header.rcode, Rcode.NXDOMAIN);
 *
 * version++; // a list was edited, say: every remembered answer goes at once
 * assert.equal(resolver.repeat(key, client), undefined);
 * ```
 */
export class AnswerMemo {
  readonly #slots: Slot[];
  readonly #mask: number;
  readonly #version: () => number;

  constructor(options: AnswerMemoOptions) {
    const count = options.slots ?? DEFAULT_SLOTS;
    if (count <= 0 || (count & (count - 1)) !== 0) {
      throw new RangeError(`slots must be a power of two, not ${count}`);
    }
    this.#slots = Array.from({ length: count }, () => new Slot());
    this.#mask = count - 1;
    this.#version = options.version;
  }

  /** The answer remembered for `key` if it still holds at `now`; it counts as its stage's. */
  recall(key: string, now: number): Kept | undefined {
    const slot = this.#slots[slotOf(key) & this.#mask];
    const kept = slot.kept;
    if (kept === undefined || slot.key !== key) return undefined;
    if (now >= kept.reusable.until || kept.version !== this.#version()) {
      slot.kept = undefined;
      return undefined;
    }
    kept.reusable.touch();
    return kept;
  }

  /**
   * Notes that `key` was answered with `resolution`, and remembers it on the key's second
   * sight when its answer was marked reusable and the query log tells of no error (a store
   * that failed, answered around).
   */
  remember(key: string, resolution: Resolution, log: QueryLogEntry): void {
    const slot = this.#slots[slotOf(key) & this.#mask];
    if (slot.key !== key) {
      slot.key = key;
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
    slot.kept = { resolution: own, rule: log.rule, reusable, version: this.#version() };
  }
}

/**
 * A slot number for a key from eight of its characters, spread over its second half (where a
 * URL's or a body's question name is): hashing every character cost more than the rest of
 * the memo when requests did not repeat. Keys that meet in a slot only take turns in it.
 */
function slotOf(key: string): number {
  const length = key.length;
  const step = (length >> 4) + 1;
  let hash = length;
  for (let i = length - 1, n = 0; i >= 0 && n < 8; i -= step, n++) {
    hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
  }
  return hash ^ (hash >>> 13);
}

/**
 * A POST body as a memo key: its bytes as characters behind a "#", which no request URL (a
 * GET's key) starts with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { postKey } from "./answer_memo.ts";
 *
 * assert.equal(postKey(new Uint8Array([0x12, 0x34])), "#\x12\x34");
 * assert.notEqual(postKey(new Uint8Array([0x2f])), "/", "never a GET's key");
 * ```
 */
export function postKey(body: Uint8Array): string {
  return "#" + String.fromCharCode.apply(null, body as unknown as number[]);
}
