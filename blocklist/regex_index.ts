/**
 * Regex rules run so that a list of ten thousand costs a query a few, not ten thousand: each
 * regex is filed under three characters of a literal every match must contain (`requiredLiteral`),
 * and a name runs only the regexes filed under its own three-character runs whose whole literal
 * it holds. Regexes without such a literal (`.*`, alternations at the top) form a group that
 * always runs; lists rarely have many.
 *
 * The engine is re2js (RE2's semantics): time linear in the name whatever the pattern, so a
 * hostile regex (`(a+)+$`, catastrophic for a backtracking engine) costs what any other does.
 * Names are canonical (lowercase), and regexes match case-insensitively, as AdGuard's do.
 */
import { RE2JS } from "re2js";

/** Literals shorter than this do not narrow enough: such regexes always run. */
const MIN_LITERAL = 3;

/** A regex compiled, with the literal it was filed under ("" for the always-run group). */
interface Filed<T> {
  readonly value: T;
  readonly literal: string;
  readonly pattern: RE2JS;
}

function compiled(source: string): RE2JS | undefined {
  try {
    return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch {
    return undefined;
  }
}

/** Three characters as one number: seven bits each (names are ASCII). */
function trigram(text: string, at: number): number {
  return ((text.charCodeAt(at) & 127) << 14) | ((text.charCodeAt(at + 1) & 127) << 7) |
    (text.charCodeAt(at + 2) & 127);
}

/**
 * The longest run of plain characters that every match of `source` contains, lowercased; "" when
 * there is none to rely on (an alternation at the top level, or only classes and groups). It
 * errs towards "": a literal it returns is always required.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requiredLiteral } from "./regex_index.ts";
 *
 * assert.equal(requiredLiteral("^ad[0-9]+\\.tracker\\.example$"), ".tracker.example");
 * assert.equal(requiredLiteral("^(ads|track)er\\.net$"), "er.net");
 * assert.equal(requiredLiteral("ads|track"), "");
 * assert.equal(requiredLiteral("colou?r"), "colo");
 * ```
 */
export function requiredLiteral(source: string): string {
  let best = "";
  let run = "";
  let depth = 0;
  const end = () => {
    if (run.length > best.length) best = run;
    run = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (depth > 0) {
      if (c === "\\") i++;
      else if (c === "[") i = classEnd(source, i);
      else if (c === "(") depth++;
      else if (c === ")") depth--;
      continue;
    }
    switch (c) {
      case "|":
        return "";
      case "(":
        end();
        depth++;
        break;
      case "[":
        end();
        i = classEnd(source, i);
        break;
      case "*":
      case "?":
      case "{":
        // The character before may be absent: it leaves the run.
        run = run.slice(0, -1);
        end();
        if (c === "{") i = Math.max(i, source.indexOf("}", i));
        break;
      case "+":
        end();
        break;
      case "\\": {
        const next = source[i + 1] ?? "";
        i++;
        if (/^[a-zA-Z0-9]$/.test(next)) end(); // \d, \w, \b…: a class or an anchor
        else run += next;
        break;
      }
      case ".":
      case "^":
      case "$":
        end();
        break;
      default:
        run += c.toLowerCase();
    }
  }
  end();
  return best.length >= MIN_LITERAL ? best : "";
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
 * Regexes filed by a literal, each carrying a value (the rule it belongs to).
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
 * assert.equal(index.literalCount, 0, "neither has a literal of three characters");
 * ```
 */
export class RegexIndex<T> {
  readonly #buckets = new Map<number, Filed<T>[]>();
  readonly #always: Filed<T>[] = [];
  /** Regexes filed under a literal (the rest always run). */
  readonly literalCount: number;

  /** `regexes`: [source, value] pairs; a source RE2 cannot compile is left out. */
  constructor(regexes: Iterable<readonly [string, T]>) {
    let filed = 0;
    for (const [source, value] of regexes) {
      const pattern = compiled(source);
      if (pattern === undefined) continue;
      const literal = requiredLiteral(source);
      const entry = { value, literal, pattern };
      if (literal === "") {
        this.#always.push(entry);
        continue;
      }
      this.#bucketFor(literal).push(entry);
      filed++;
    }
    this.literalCount = filed;
  }

  /** The values of every regex that matches `name`, in no particular order. */
  matches(name: string): T[] {
    const found: T[] = [];
    for (const entry of this.#always) {
      if (entry.pattern.matcher(name).find()) found.push(entry.value);
    }
    const buckets = this.#buckets;
    if (buckets.size === 0) return found;
    for (let at = 0; at + 3 <= name.length; at++) {
      const bucket = buckets.get(trigram(name, at));
      if (bucket === undefined) continue;
      for (const entry of bucket) {
        if (!name.includes(entry.literal) || found.includes(entry.value)) continue;
        if (entry.pattern.matcher(name).find()) found.push(entry.value);
      }
    }
    return found;
  }

  /** The least-filled bucket among the literal's three-character runs: buckets stay small. */
  #bucketFor(literal: string): Filed<T>[] {
    let chosen: Filed<T>[] | undefined;
    let chosenKey = 0;
    for (let at = 0; at + 3 <= literal.length; at++) {
      const key = trigram(literal, at);
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
