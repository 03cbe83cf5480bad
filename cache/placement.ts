/**
 * Where the cache stage looks for a query's answer, which answer of the shared tier it reads,
 * and where it keeps the answer the upstream gives: one key for a question, or, for answers
 * tailored to the client's subnet (client_subnet.ts), one per scope.
 */
import type { Answer } from "../pipeline/types.ts";
import type { AnswerCache, CacheHit } from "./answer_cache.ts";
import { exactKey, type QuerySubnet, replyScope, scopedKey } from "./client_subnet.ts";
import { SubnetScopes } from "./subnet_scopes.ts";

/** Where a query's answer is looked for, shared and kept. */
export interface Placement {
  /** Queries with the same flight key wait for one upstream answer. */
  flight: string;
  /** The key read from the shared tier on a miss. */
  shared: string;
  /** The key to keep `answer` under; undefined when it is not to be kept. */
  keyOf(answer: Answer): string | undefined;
  /** Told when the answer read from the shared tier was kept under `shared`. */
  keptShared?(): void;
}

/** A query without a client subnet (or with the subnet not passed on): one key for all. */
export function plainPlacement(key: string): Placement {
  return new PlainPlacement(key);
}

/** One key for all, with a method rather than a closure: one is made per miss. */
class PlainPlacement implements Placement {
  readonly flight: string;

  constructor(key: string) {
    this.flight = key;
  }

  get shared(): string {
    return this.flight;
  }

  keyOf(): string {
    return this.flight;
  }
}

/**
 * Answers tailored to client subnets (client_subnet.ts): looked for under the very subnet,
 * then under each scope noted for the question, longest first; kept under the scope the
 * upstream gave.
 */
export class SubnetPlacements {
  readonly #cache: AnswerCache;
  readonly #scopes = new SubnetScopes();

  constructor(cache: AnswerCache) {
    this.#cache = cache;
  }

  lookup(key: string, subnet: QuerySubnet): { hit: CacheHit | undefined; placement: Placement } {
    const question = `${key}|${subnet.family}`;
    const exact = exactKey(key, subnet);
    const own = scopedKey(key, subnet, subnet.source);
    const placement: Placement = {
      flight: exact,
      // One read, the key an answer with the client's own prefix as its scope has.
      shared: own,
      keyOf: (answer) => {
        const scope = replyScope(answer.bytes, subnet);
        if (scope === undefined) return undefined;
        if (scope > subnet.source) return exact;
        this.#scopes.note(question, scope);
        return scopedKey(key, subnet, scope);
      },
      keptShared: () => this.#scopes.note(question, subnet.source),
    };
    const candidates = [
      exact,
      ...this.#scopes.within(question, subnet.source).map((scope) => scopedKey(key, subnet, scope)),
    ];
    // Looked up (and counted, as a miss when none is there) once.
    const found = candidates.find((candidate) => this.#cache.peek(candidate) !== undefined);
    return { hit: this.#cache.lookup(found ?? exact), placement };
  }
}
