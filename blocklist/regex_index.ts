/**
 * Regex rules run so that a list of ten thousand costs a query a few, not ten thousand: each
 * regex is filed under the literals one of which every match must contain (`requiredLiterals`:
 * a run of plain characters, or one per branch of an alternation), each literal under two or
 * three of its characters; a name runs only the regexes filed under its own character runs
 * whose whole literal it holds. Regexes without such literals (`.*`, a lone `\d+`) form a group
 * that always runs; lists rarely have many, and each costs every name one run.
 *
 * The engine is re2js (RE2's semantics): time linear in the name whatever the pattern, so a
 * hostile regex (`(a+)+$`, catastrophic for a backtracking engine) costs what any other does.
 * Names are canonical (lowercase), and regexes match case-insensitively, as AdGuard's do.
 */
import { RE2JS } from "re2js";

/** Literals shorter than this do not narrow at all. */
const MIN_LITERAL = 2;
/** Literals at least this long are filed under three characters, shorter ones under two. */
const TRIGRAM_LITERAL = 3;

/**
 * A regex, compiled the first time a name needs it run (compiling ten thousand at once would
 * stall the loop for seconds; most never run), null when RE2 cannot compile it. `ran` is the
 * call of `matches` that last ran it, so none runs twice for one name.
 */
interface Entry<T> {
  readonly value: T;
  readonly source: string;
  pattern: RE2JS | null | undefined;
  ran: number;
}

/** One literal of an entry, filed in a bucket. */
interface Filed<T> {
  readonly literal: string;
  readonly entry: Entry<T>;
}

/** Whether the entry's regex matches `name`; one RE2 cannot compile matches nothing. */
function runs(index: { compiled: number }, entry: Entry<unknown>, name: string): boolean {
  if (entry.pattern === undefined) {
    index.compiled++;
    try {
      entry.pattern = RE2JS.compile(entry.source, RE2JS.CASE_INSENSITIVE);
    } catch {
      entry.pattern = null;
    }
  }
  return entry.pattern !== null && entry.pattern.matcher(name).find();
}

/** Two or three characters as one number, seven bits each (names are ASCII). */
function gram(text: string, at: number, size: number): number {
  const two = ((text.charCodeAt(at) & 127) << 7) | (text.charCodeAt(at + 1) & 127);
  return size === 2 ? two : (1 << 21) | (two << 7) | (text.charCodeAt(at + 2) & 127);
}

/**
 * Literals, lowercased, at least one of which every match of `source` contains; none when
 * nothing can be relied on. It errs towards none: what it returns is always required.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requiredLiterals } from "./regex_index.ts";
 *
 * assert.deepEqual(requiredLiterals("^ad[0-9]+\\.tracker\\.example$"), [".tracker.example"]);
 * assert.deepEqual(requiredLiterals("^(ads|track)er\\.net$"), ["er.net"]);
 * assert.deepEqual(requiredLiterals("ads|track"), ["ads", "track"]);
 * assert.deepEqual(requiredLiterals("colou?r"), ["colo"]);
 * assert.deepEqual(requiredLiterals(".*"), []);
 * ```
 */
export function requiredLiterals(source: string): string[] {
  const branches = splitTop(source);
  const all: string[] = [];
  for (const branch of branches) {
    const literals = branchLiterals(branch);
    if (literals.length === 0) return [];
    for (const literal of literals) if (!all.includes(literal)) all.push(literal);
  }
  return all;
}

/** `source` split at the `|` outside groups and classes. */
function splitTop(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = classEnd(source, i);
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

/** The best required literals of one branch (no `|` at its top): a run, or a group's set. */
function branchLiterals(branch: string): string[] {
  let best: string[] = [];
  const consider = (candidate: string[]) => {
    if (candidate.length === 0 || candidate.some((literal) => literal.length < MIN_LITERAL)) return;
    if (best.length === 0 || score(candidate) > score(best)) best = candidate;
  };
  let run = "";
  const end = () => {
    consider(run === "" ? [] : [run]);
    run = "";
  };
  for (let i = 0; i < branch.length; i++) {
    const c = branch[i];
    switch (c) {
      case "(": {
        end();
        const close = groupEnd(branch, i);
        const next = branch[close + 1];
        const optional = next === "?" || next === "*" || next === "{";
        if (!optional) consider(requiredLiterals(groupBody(branch.slice(i + 1, close))));
        i = close;
        break;
      }
      case "[":
        end();
        i = classEnd(branch, i);
        break;
      case "*":
      case "?":
      case "{":
        // The character before may be absent: it leaves the run.
        run = run.slice(0, -1);
        end();
        if (c === "{") i = Math.max(i, branch.indexOf("}", i));
        break;
      case "+":
        end();
        break;
      case "\\": {
        const next = branch[i + 1] ?? "";
        i++;
        if (next === "Q") return []; // \Q...\E quotes: not worth reading
        if (!/^[a-zA-Z0-9]$/.test(next)) {
          run += next;
          break;
        }
        // \d, \w, \b...: a class or an anchor; \x41, \x{263a}, \pL, \p{Greek}, \123: one
        // character of some kind. Either way the run ends, and the escape is skipped whole.
        end();
        if (next === "x" || next === "p" || next === "P") {
          const braced = branch[i + 1] === "{";
          i = braced ? Math.max(i, branch.indexOf("}", i)) : i + (next === "x" ? 2 : 1);
        } else if (/[0-9]/.test(next)) {
          while (/[0-7]/.test(branch[i + 1] ?? "")) i++;
        }
        break;
      }
      case ".":
      case "^":
      case "$":
      case ")":
        end();
        break;
      default:
        run += c.toLowerCase();
    }
  }
  end();
  return best;
}

/** How much a set of literals narrows: its shortest literal, then fewer literals. */
function score(literals: string[]): number {
  return Math.min(...literals.map((literal) => literal.length)) * 100 - literals.length;
}

/** A group's pattern without its `?:`, `?i:` or `?P<name>` opening; a flag group is none. */
function groupBody(body: string): string {
  if (!body.startsWith("?")) return body;
  const colon = /^\?(?:P?<[^>]*>|[a-zA-Z-]*:)/.exec(body);
  return colon === null ? "" : body.slice(colon[0].length);
}

/** Where the group opened at `open` closes (its ")"), or the end of the source. */
function groupEnd(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = classEnd(source, i);
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return source.length;
}

/** Where the class opened at `open` ends (its "]"), or the end of the source. */
function classEnd(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  for (; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]") return i;
  }
  return source.length;
}

/**
 * Regexes filed by their literals, each carrying a value (the rule it belongs to).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RegexIndex } from "./regex_index.ts";
 *
 * const index = new RegexIndex([["^ad[0-9]+\\.", "ads"], ["(a+)+$", "hostile"]]);
 * assert.deepEqual(index.matches("ad12.example"), ["ads"]);
 * // Catastrophic for a backtracking engine; RE2 answers at once.
 * assert.deepEqual(index.matches("a".repeat(200) + "!"), []);
 * assert.equal(index.alwaysRun, 1, "(a+)+$ holds no literal");
 * ```
 */
export class RegexIndex<T> {
  readonly #buckets = new Map<number, Filed<T>[]>();
  readonly #always: Entry<T>[] = [];
  #calls = 0;
  /** Regexes compiled so far (each the first time a name needed it run). */
  compiled = 0;

  /** `regexes`: [source, value] pairs; a source RE2 cannot compile never matches. */
  constructor(regexes: Iterable<readonly [string, T]>) {
    for (const [source, value] of regexes) this.add(source, value);
  }

  /** Files one more regex. */
  add(source: string, value: T): void {
    const entry: Entry<T> = { value, source, pattern: undefined, ran: 0 };
    const literals = requiredLiterals(source);
    if (literals.length === 0) this.#always.push(entry);
    for (const literal of literals) this.#bucketFor(literal).push({ literal, entry });
  }

  /** Regexes that run for every name: those without a literal to file them under. */
  get alwaysRun(): number {
    return this.#always.length;
  }

  /** The values of every regex that matches `name`, in no particular order. */
  matches(name: string): T[] {
    const call = ++this.#calls;
    const found: T[] = [];
    for (const entry of this.#always) {
      if (runs(this, entry, name)) found.push(entry.value);
    }
    const buckets = this.#buckets;
    if (buckets.size === 0) return found;
    for (let size = 2; size <= 3; size++) {
      for (let at = 0; at + size <= name.length; at++) {
        const bucket = buckets.get(gram(name, at, size));
        if (bucket === undefined) continue;
        for (const { literal, entry } of bucket) {
          if (entry.ran === call || !name.includes(literal)) continue;
          entry.ran = call;
          if (runs(this, entry, name)) found.push(entry.value);
        }
      }
    }
    return found;
  }

  /** The least-filled bucket among the literal's character runs: buckets stay small. */
  #bucketFor(literal: string): Filed<T>[] {
    const size = literal.length >= TRIGRAM_LITERAL ? 3 : 2;
    let chosen: Filed<T>[] | undefined;
    let chosenKey = 0;
    for (let at = 0; at + size <= literal.length; at++) {
      const key = gram(literal, at, size);
      const bucket = this.#buckets.get(key);
      if (bucket === undefined) {
        chosen = [];
        chosenKey = key;
        break;
      }
      if (chosen === undefined || bucket.length < chosen.length) {
        chosen = bucket;
        chosenKey = key;
      }
    }
    this.#buckets.set(chosenKey, chosen!);
    return chosen!;
  }
}
