/**
 * Blocklist bytes -> canonical entries (DESIGN §2 blocklist/, names as in §4). Reads hosts files,
 * plain domain lists and the DNS subset of Adblock syntax, mixed freely line by line. Pure (no
 * I/O, no Deno APIs) and total: any bytes parse, bad lines are counted, nothing throws.
 *
 * Real lists hold up to a million lines, so the shapes that make up nearly all of them
 * (`0.0.0.0 name`, `127.0.0.1 name`, `||name^`, `name`, with an ASCII name) take a fast path
 * over the list's bytes that makes no string of the line: its name is lower-cased and checked
 * in the bytes, then hashed straight into the memory store's fingerprints (domain_set.ts) or,
 * for the Redis store, made the one string it needs. Every other line is decoded and takes the
 * general path.
 *
 * Choices worth knowing:
 * - Entries are not deduplicated: the consumer dedupes, once, over all its lists (a Set of a
 *   million names costs several times the parse itself).
 * - Any IP literal opens a hosts line, not only 0.0.0.0 and 127.0.0.1: its names are blocked.
 *   A line that is an address or a range alone is an IP entry (ip_entry.ts), for the answers.
 * - Boilerplate names (localhost, ip6-*, broadcasthost, IP literals in a hosts line) are never
 *   entries, whatever the format: such lines are skipped, not invalid.
 * - `||name`, `||name^`, `||name^|` and `||name|` all block the name and its subdomains (for the
 *   forms without `^` that is a subset of what a browser filter would match, never more).
 *   `|name^` (this exact name only) is invalid: entries always cover subdomains, and DNS lists
 *   rarely use it. Adblock lines off the fast path are read by rule_parse.ts: those with
 *   modifiers, and `/regex/` lines, become `rules`; those with browser-only modifiers are
 *   skipped and counted by modifier in `skippedModifiers`.
 * - Plain names land in `block` even in an allowlist: the caller knows which list it read.
 * - A hosts line with good and bad names keeps the good ones and counts as invalid.
 * - A `#` after a space or tab starts a comment, in every format; a `#` glued to a name too,
 *   unless it opens a cosmetic marker (`##`, `#@#`, `#?#`, `#$#`...), which makes the line invalid.
 */

import {
  isIpLiteral,
  isNameChar,
  MAX_LABEL,
  MAX_NAME,
  normalizeDomain,
} from "../dns/domain_entry.ts";
import { type IpEntries, type IpSink, takeIpEntry } from "./ip_entry.ts";
import type { EntryFingerprints } from "./domain_set.ts";
import type { ListRule } from "./list_rule.ts";
import { runAtOnce } from "./slices.ts";

/** One parsed list. Names are canonical: lowercase ASCII, no trailing dot, IDNs as punycode. */
export interface ParsedList {
  /** Entries that block the name and every subdomain; "*.x.example" means subdomains of x.example only. */
  block: string[];
  /** Exceptions (`@@||x^`): they allow the name and every subdomain, winning over any block entry. */
  allow: string[];
  /** Addresses and ranges (blocklist/ip_entry.ts), when the list has any. */
  ips?: IpEntries;
  /** Rules the fingerprint sets cannot hold: regexes, modifiers (list_rule.ts). */
  rules: ListRule[];
  /** Lines read. */
  lines: number;
  /** Lines skipped on purpose: blank, comments, headers, hosts-file boilerplate. */
  skipped: number;
  /** Of the skipped lines, rules with browser-only modifiers: lines per modifier. */
  skippedModifiers: Record<string, number>;
  /** Lines that could not be parsed: counted, with up to 5 examples; never fatal. */
  invalid: { count: number; examples: InvalidLine[] };
}

/** A line that could not be parsed: 1-based line number, its text cut to 200 characters. */
export interface InvalidLine {
  line: number;
  text: string;
  reason: string;
}

const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 200;

const BOILERPLATE = new Set([
  "localhost",
  "localhost.localdomain",
  "local",
  "broadcasthost",
  "ip6-localhost",
  "ip6-loopback",
  "ip6-localnet",
  "ip6-mcastprefix",
  "ip6-allnodes",
  "ip6-allrouters",
  "ip6-allhosts",
]);

/** Headers that open Adblock-style lists, e.g. `[Adblock Plus 2.0]`. */
const HEADER = /^\[(adblock|ublock|adguard)[^\]]*\]$/i;

const TAB = 9, LF = 10, CR = 13, SPACE = 32, BANG = 33, HASH = 35, DOLLAR = 36, PERCENT = 37;
const DASH = 45, DOT = 46, SLASH = 47, ZERO = 48, ONE = 49, TWO = 50, SEVEN = 55, NINE = 57;
const UPPER_A = 65, UPPER_Z = 90, CASE_BIT = 0x20;
const QUESTION = 63, AT = 64, BRACKET = 91, CARET = 94, PIPE = 124;

/** What the general path made of a line: taken, skipped on purpose, or a reason it is invalid. */
const OK = 0;
const SKIP = 1;
type Outcome = typeof OK | typeof SKIP | string;

type Sink = Pick<ParsedList, "block" | "allow" | "rules" | "skippedModifiers"> & IpSink;

/**
 * The rule parser (rule_parse.ts, on `@adguard/agtree` and `re2js`), loaded with the first list
 * that has a line for it: importing those packages stalled the first sync of a hosts file,
 * which never needs them (`deno task bench:blocklist`, the longest event-loop pause).
 */
let ruleParser: typeof import("./rule_parse.ts") | undefined;

/** Loads the rule parser now: `parseList` needs it for adblock lines off the fast path. */
export async function loadRuleParser(): Promise<void> {
  ruleParser ??= await import("./rule_parse.ts");
}

/**
 * Parses a whole list at once; see the file comment for the formats and choices. Never throws,
 * but for an adblock line off the fast path before `loadRuleParser()` has been awaited.
 */
export function parseList(text: string): ParsedList {
  return runAtOnce(parseSteps(text));
}

/** Lines parsed between two yields of `parseSteps`. */
const LINES_PER_STEP = 2048;
/** Regex lines parsed between two yields: each is compiled to be checked, dearer than a line. */
const REGEXES_PER_STEP = 32;

/** `parseBytesSteps` over text: its UTF-8 bytes, every name as a string in `block`. */
export function parseSteps(text: string): Generator<Promise<void> | undefined, ParsedList> {
  return parseBytesSteps(new TextEncoder().encode(text));
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** Lines off the fast path become text; a BOM inside the list is kept, as in the text. */
const lineDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The parse as steps (blocklist/slices.ts), so a big list can be parsed a slice at a time
 * without stalling queries: yields every few thousand lines, returns the parsed list. It yields
 * a promise, once, when a line needs the rule parser and it is not loaded: `runInSlices` waits
 * for it.
 *
 * It reads the list's bytes (UTF-8) and makes no string of a fast-path line: with `hashed`
 * (the memory store's), its name is fingerprinted where it lies and left out of `block`;
 * without, it becomes a string in `block`. Other lines are decoded one by one.
 */
export function* parseBytesSteps(
  bytes: Uint8Array,
  hashed?: EntryFingerprints,
): Generator<Promise<void> | undefined, ParsedList> {
  const out: ParsedList = {
    block: [],
    allow: [],
    rules: [],
    lines: 0,
    skipped: 0,
    skippedModifiers: {},
    invalid: { count: 0, examples: [] },
  };
  const separator = lineSeparator(bytes);
  const length = bytes.length;
  let start = UTF8_BOM.every((byte, i) => bytes[i] === byte) ? UTF8_BOM.length : 0;
  let regexes = 0;
  while (start < length) {
    let end = bytes.indexOf(separator, start);
    if (end === -1) end = length;
    const stop = end > start && bytes[end - 1] === CR ? end - 1 : end;
    out.lines++;
    if (!takeCommonLine(bytes, start, stop, out.block, hashed)) {
      if (ruleParser === undefined && wantsRuleParser(bytes, start, stop)) {
        yield loadRuleParser();
        if (ruleParser === undefined) throw new Error("await loadRuleParser() before parseList");
      }
      const line = lineDecoder.decode(bytes.subarray(start, stop));
      record(out, line, parseLine(line, out));
      if (bytes[start] === SLASH && ++regexes % REGEXES_PER_STEP === 0) yield;
    }
    start = end + 1;
    if (out.lines % LINES_PER_STEP === 0) yield;
  }
  return out;
}

/** Lines counted between two yields of `lineCountSteps`: counting one is a search. */
const COUNTED_PER_STEP = 32 * LINES_PER_STEP;

/**
 * How many lines `parseBytesSteps` reads in `bytes` (room for the entries, at most one each),
 * as steps: a million lines counted at once stalled the event loop as long as a slice of
 * parsing a few hundred thousand.
 */
export function* lineCountSteps(bytes: Uint8Array): Generator<undefined, number> {
  const separator = lineSeparator(bytes);
  let lines = 0;
  for (let at = 0; at < bytes.length; lines++) {
    const end = bytes.indexOf(separator, at);
    at = end === -1 ? bytes.length : end + 1;
    if (lines % COUNTED_PER_STEP === 0) yield;
  }
  return lines;
}

/** Whether the line's first non-blank character opens an adblock rule: `|`, `@` or `/`. */
function wantsRuleParser(bytes: Uint8Array, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) {
    const c = bytes[i];
    if (c === SPACE || c === TAB) continue;
    return c === PIPE || c === AT || c === SLASH;
  }
  return false;
}

/** "\n" (which also covers "\r\n"), or "\r" for the rare file with old Mac line endings. */
function lineSeparator(bytes: Uint8Array): number {
  return bytes.indexOf(LF) === -1 && bytes.indexOf(CR) !== -1 ? CR : LF;
}

/** Counts a line the general path did not take, keeping the first few invalid ones as examples. */
function record(out: ParsedList, line: string, outcome: Outcome): void {
  if (outcome === OK) return;
  if (outcome === SKIP) {
    out.skipped++;
    return;
  }
  out.invalid.count++;
  if (out.invalid.examples.length < MAX_EXAMPLES) {
    const text = line.length > MAX_EXAMPLE_CHARS ? line.slice(0, MAX_EXAMPLE_CHARS) : line;
    out.invalid.examples.push({ line: out.lines, text, reason: outcome });
  }
}

const HOSTS_ANY = [ZERO, DOT, ZERO, DOT, ZERO, DOT, ZERO, SPACE];
const HOSTS_LOOPBACK = [ONE, TWO, SEVEN, DOT, ZERO, DOT, ZERO, DOT, ONE, SPACE];

/**
 * The fast path: `0.0.0.0 name`, `127.0.0.1 name` or `name` (each optionally followed by blanks
 * and a `# comment`) and `||name^`, with a name of ASCII labels that is neither boilerplate nor
 * all digits. Takes the name, lower-cased (into `hashed`, or as a string into `block`), and
 * returns true; returns false, having taken nothing, for any other line.
 */
function takeCommonLine(
  bytes: Uint8Array,
  start: number,
  stop: number,
  block: string[],
  hashed: EntryFingerprints | undefined,
): boolean {
  const first = bytes[start];
  let from = start;
  let end: number;
  if (first === PIPE) {
    if (bytes[start + 1] !== PIPE || bytes[stop - 1] !== CARET) return false;
    from += 2;
    end = stop - 1;
    if (commonNameEnd(bytes, from, end) !== end) return false;
  } else {
    if (first === ZERO && startsWith(bytes, start, HOSTS_ANY)) from += HOSTS_ANY.length;
    else if (first === ONE && startsWith(bytes, start, HOSTS_LOOPBACK)) {
      from += HOSTS_LOOPBACK.length;
    } else if (!isNameByte(first)) return false;
    end = commonNameEnd(bytes, from, stop);
    if (end === -1 || !isBlankOrComment(bytes, end, stop)) return false;
  }
  if (hashed !== undefined) hashed.addAscii(bytes, from, end);
  else block.push(asciiName(bytes, from, end));
  return true;
}

/** A name character as a list may spell it: `isNameChar`, or an upper-case letter. */
function isNameByte(c: number): boolean {
  return isNameChar(c) || (c >= UPPER_A && c <= UPPER_Z);
}

/** `bytes[from, to)`, ASCII, lower-cased (`apply`: several times faster than a spread here). */
function asciiName(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[])
    .toLowerCase();
}

function startsWith(bytes: Uint8Array, at: number, prefix: readonly number[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** "localhost" in any case: the boilerplate names with a dot start with it. */
const LOCALHOST = [...new TextEncoder().encode("localhost")];

function startsWithLocalhost(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < LOCALHOST.length; i++) {
    if ((bytes[at + i] | CASE_BIT) !== LOCALHOST[i]) return false;
  }
  return true;
}

/**
 * Where the name starting at `from` ends (`to`, or a space or tab before it), when it is a dotted
 * name of ASCII labels with a letter, and not localhost; -1 otherwise.
 */
function commonNameEnd(bytes: Uint8Array, from: number, to: number): number {
  let label = 0;
  let dots = 0;
  let letter = false;
  let i = from;
  for (; i < to; i++) {
    const c = bytes[i];
    if (c === DOT) {
      if (label === 0) return -1;
      label = 0;
      dots++;
      continue;
    }
    if (c > NINE || c === DASH) {
      if (!isNameByte(c)) return -1;
      letter = true;
    } else if (c < ZERO) {
      if (c === SPACE || c === TAB) break;
      return -1;
    }
    if (++label > MAX_LABEL) return -1;
  }
  const ok = label > 0 && dots > 0 && letter && i - from <= MAX_NAME;
  return ok && !startsWithLocalhost(bytes, from) ? i : -1;
}

/** `bytes[from, to)` is empty, or blanks then a `#` comment. */
function isBlankOrComment(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (c === HASH) return i > from;
    if (c !== SPACE && c !== TAB) return false;
  }
  return true;
}

/** The general path: any line, in any of the formats. Pushes what it takes into `sink`. */
function parseLine(raw: string, sink: Sink): Outcome {
  const ip = takeIpEntry(raw, sink);
  if (ip !== undefined) return ip === true ? OK : ip;
  let line = raw.trim();
  if (line === "") return SKIP;
  const first = line.charCodeAt(0);
  if (first === HASH || first === BANG) return SKIP;
  if (first === BRACKET) return HEADER.test(line) ? SKIP : "not a domain rule";
  if (first === SLASH) return adblockRule(line, sink); // a regex's "#" is its own
  const hash = line.indexOf("#");
  if (hash !== -1) {
    if (isCosmetic(line, hash)) return "a cosmetic rule, not a domain rule";
    line = line.slice(0, hash).trimEnd();
  }
  if (first === AT) {
    return line.startsWith("@@") ? adblockRule(line, sink) : "not a domain rule";
  }
  if (first === PIPE) return adblockRule(line, sink);
  if (line.includes("/")) {
    return line.includes("://") ? "a URL, not a domain" : "a rule with a path, not a domain rule";
  }
  return wordsRule(line, sink.block);
}

/** A `#` glued to what precedes it and opening `##`, `#@#`, `#?#`, `#$#`, `#%#`, `#@$?#`... */
function isCosmetic(line: string, hash: number): boolean {
  const before = line.charCodeAt(hash - 1);
  if (before === SPACE || before === TAB) return false;
  let i = hash + 1;
  for (let n = 0; n < 3; n++) {
    const c = line.charCodeAt(i);
    if (c !== AT && c !== QUESTION && c !== DOLLAR && c !== PERCENT) break;
    i++;
  }
  return line.charCodeAt(i) === HASH;
}

/** `||name^` and its variants, `@@` exceptions and `/regex/` rules (rule_parse.ts). */
function adblockRule(line: string, sink: Sink): Outcome {
  const read = ruleParser!.parseRuleLine(line);
  switch (read.kind) {
    case "name":
      return takeName(read.name, read.allow ? sink.allow : sink.block);
    case "rule":
      sink.rules.push(read.rule);
      return OK;
    case "skip":
      for (const modifier of read.modifiers) {
        sink.skippedModifiers[modifier] = (sink.skippedModifiers[modifier] ?? 0) + 1;
      }
      return SKIP;
    case "invalid":
      return read.reason;
  }
}

/** A plain `name` line, or a hosts line `<ip> name [name...]`. */
function wordsRule(line: string, block: string[]): Outcome {
  const words = line.split(/[ \t\v\f]+/);
  if (words.length === 1) return takeName(words[0], block);
  if (!isIpLiteral(words[0])) return "several words, and the first is not an IP address";
  let reason: string | undefined;
  let took = false;
  for (let i = 1; i < words.length; i++) {
    if (isIpLiteral(words[i])) continue;
    const outcome = takeName(words[i], block);
    if (outcome === OK) took = true;
    else if (outcome !== SKIP) reason ??= outcome;
  }
  return reason ?? (took ? OK : SKIP);
}

/** Normalizes one name into `list`; boilerplate names are skipped. */
function takeName(input: string, list: string[]): Outcome {
  const result = normalizeDomain(input);
  if ("reason" in result) return result.reason;
  if (BOILERPLATE.has(result.name)) return SKIP;
  list.push(result.name);
  return OK;
}
