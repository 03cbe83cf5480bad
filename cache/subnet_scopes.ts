/**
 * The scopes that answers tailored to client subnets were kept with, per question and address
 * family (client_subnet.ts), so that a lookup tries those few prefix lengths, longest first,
 * rather than every length from the client's source prefix down to 0.
 *
 * Bounded: at most `maxQuestions` questions (the oldest noted goes first) and MAX_SCOPES
 * scopes each (later ones are not noted). Forgetting a scope only sends the next query for
 * it upstream; it never makes a wrong answer.
 */

/** Scopes noted per question: authorities use one or two (e.g. /24 and /0). */
const MAX_SCOPES = 8;
const DEFAULT_MAX_QUESTIONS = 10_000;

export class SubnetScopes {
  readonly #scopes = new Map<string, number[]>();
  readonly #maxQuestions: number;

  constructor(maxQuestions = DEFAULT_MAX_QUESTIONS) {
    this.#maxQuestions = maxQuestions;
  }

  /** Notes that an answer to `question` was kept for `scope` bits of the client's address. */
  note(question: string, scope: number): void {
    let scopes = this.#scopes.get(question);
    if (scopes === undefined) {
      if (this.#scopes.size >= this.#maxQuestions) {
        this.#scopes.delete(this.#scopes.keys().next().value!);
      }
      scopes = [];
      this.#scopes.set(question, scopes);
    }
    if (scopes.includes(scope) || scopes.length >= MAX_SCOPES) return;
    scopes.push(scope);
    scopes.sort((a, b) => b - a);
  }

  /** The scopes noted for `question` that a client with `source` bits can use, longest first. */
  within(question: string, source: number): number[] {
    return (this.#scopes.get(question) ?? []).filter((scope) => scope <= source);
  }
}
