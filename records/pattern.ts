/**
 * Pattern (dynamic) records: an owner name with placeholders, and values that use them.
 *
 *     workstation<n:1-254>.corp.example   A  172.16.2.<n>
 *     <a>-<b>-<c>-<d>.ip.example          A  <a>.<b>.<c>.<d>
 *
 * A placeholder matches part of one label: `<n>` a decimal number, `<n:10-99>` one in that
 * range, `<x:hex>` 1-4 hex digits (an IPv6 group), `<h:label>` letters, digits and inner
 * hyphens. A name that matches but whose numbers are out of range, or whose values do not make
 * valid records (an octet of 300), does not exist: NXDOMAIN, never a wrong answer.
 */
import type { RData } from "../dns/mod.ts";
import { parseRdata } from "./rdata_text.ts";
import { LineError, type Token } from "./tokens.ts";

export interface Placeholder {
  name: string;
  kind: "number" | "hex" | "label";
  /** Bounds of a number, inclusive. */
  min?: number;
  max?: number;
}

export interface NamePattern {
  /** The owner as written, lowercase: what groups a pattern's records and names it in logs. */
  source: string;
  /** The fixed labels after the last placeholder: the zone negative answers speak for. */
  suffix: string;
  placeholders: Placeholder[];
  regex: RegExp;
}

/** One value of a pattern, rendered per name. */
export interface PatternValue {
  type: number;
  ttl: number;
  /** The value's tokens as written, placeholders and all. */
  tokens: Token[];
  /** The type token, for errors about a missing value. */
  typeToken: Token;
}

const PLACEHOLDER = /<([^<>]*)>/g;
const SPEC = /^([a-z][a-z0-9_]*)(?::(?:(\d{1,10})-(\d{1,10})|(hex|label)))?$/;
/** A placeholder in a value: `<name>` in any case (like names), unless its `<` is escaped. */
const USE = /(?<!\\)<([a-z][a-z0-9_]*)>/gi;
const LITERAL = /^[a-z0-9_.-]*$/;

const KIND_REGEX = {
  number: "(\\d{1,10})",
  hex: "([0-9a-f]{1,4})",
  label: "([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)",
} as const;

export function isPattern(text: string): boolean {
  return text.includes("<");
}

/** Compiles an owner with placeholders; throws `LineError` at the offending character. */
export function compilePattern(token: Token): NamePattern {
  const source = token.text.toLowerCase().replace(/\.$/, "");
  const placeholders: Placeholder[] = [];
  let regex = "^";
  let at = 0;
  let lastEnd = -1;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const column = token.column + match.index;
    regex += literal(source.slice(at, match.index), token.column + at);
    if (match.index === lastEnd) {
      throw new LineError("two placeholders need text between them", column);
    }
    const placeholder = parsePlaceholder(match[1], column);
    if (placeholders.some((p) => p.name === placeholder.name)) {
      throw new LineError(`the placeholder <${placeholder.name}> appears twice`, column);
    }
    placeholders.push(placeholder);
    regex += KIND_REGEX[placeholder.kind];
    at = lastEnd = match.index + match[0].length;
  }
  const rest = source.slice(at);
  regex += literal(rest, token.column + at);
  const dot = rest.indexOf(".");
  const suffix = dot === -1 ? "" : rest.slice(dot + 1);
  if (suffix === "" || /(^|\.)\.|\.$/.test(source.replace(PLACEHOLDER, "x"))) {
    throw new LineError(
      "a pattern needs whole labels and a fixed domain after its last placeholder " +
        "(e.g. host<n>.lab.example)",
      token.column,
    );
  }
  return { source, suffix, placeholders, regex: new RegExp(`${regex}$`) };
}

function parsePlaceholder(spec: string, column: number): Placeholder {
  const match = SPEC.exec(spec);
  if (!match) {
    throw new LineError(
      `<${spec}> is not a placeholder: expected <name>, <name:from-to>, <name:hex> or <name:label>`,
      column,
    );
  }
  const [, name, from, to, kind] = match;
  if (kind === "hex" || kind === "label") return { name, kind };
  if (from === undefined) return { name, kind: "number" };
  const min = Number(from);
  const max = Number(to);
  if (min > max) throw new LineError(`the range ${from}-${to} is empty`, column);
  return { name, kind: "number", min, max };
}

function literal(text: string, column: number): string {
  if (!LITERAL.test(text)) {
    const at = [...text].findIndex((char) => !LITERAL.test(char));
    throw new LineError(`"${text[at]}" cannot stand in a pattern name`, column + at);
  }
  return text.replace(/[.-]/g, "\\$&");
}

/**
 * Checks a pattern's value against its owner: every placeholder it uses is the owner's, and
 * with sample values it makes a valid record (so a value that can never work is a mistake in
 * the file, not an NXDOMAIN at query time).
 */
export function checkPatternValue(pattern: NamePattern, value: PatternValue): void {
  for (const token of value.tokens) {
    for (const use of token.text.matchAll(USE)) {
      if (!pattern.placeholders.some((p) => p.name === use[1].toLowerCase())) {
        throw new LineError(
          `<${use[1]}> is not a placeholder of ${pattern.source}`,
          token.column + (token.quoted ? 1 : 0) + use.index,
        );
      }
    }
  }
  const samples = new Map(pattern.placeholders.map((p) => [p.name, sample(p)]));
  parseRdata(value.type, substitute(value.tokens, samples), value.typeToken);
}

function sample(placeholder: Placeholder): string {
  if (placeholder.kind === "label") return "a";
  return String(placeholder.min ?? 0);
}

/**
 * The placeholders' values when `name` (canonical) matches; "out-of-range" when it has the
 * pattern's shape but a number outside its range; undefined when it does not match.
 */
export function matchPattern(
  pattern: NamePattern,
  name: string,
): Map<string, string> | "out-of-range" | undefined {
  const match = pattern.regex.exec(name);
  if (!match) return undefined;
  const values = new Map<string, string>();
  for (let i = 0; i < pattern.placeholders.length; i++) {
    const { name: key, min, max } = pattern.placeholders[i];
    const value = match[i + 1];
    const number = Number(value);
    if ((min !== undefined && number < min) || (max !== undefined && number > max)) {
      return "out-of-range";
    }
    values.set(key, value);
  }
  return values;
}

/** A pattern value's rdata for these placeholder values; undefined when it is not valid. */
export function renderValue(value: PatternValue, values: Map<string, string>): RData | undefined {
  try {
    return parseRdata(value.type, substitute(value.tokens, values), value.typeToken);
  } catch {
    return undefined;
  }
}

function substitute(tokens: Token[], values: Map<string, string>): Token[] {
  return tokens.map((token) => ({
    ...token,
    text: token.text.replace(USE, (use, name) => values.get(name.toLowerCase()) ?? use),
  }));
}
