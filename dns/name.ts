/**
 * Domain names as text: no trailing dot, the root as "", label bytes in RFC 1035 §5.1
 * presentation form -- bytes outside printable ASCII (space included) as `\DDD`, and the
 * characters a zone file reads specially (`.` `\` `;` `(` `)` `"` `@` `$`) after a backslash --
 * so every name survives a round trip, and its text (JSON API, query log, dashboard) reads back
 * as the same name.
 * A name read off the wire keeps the case it was written in (re-encoding must not change it:
 * RFC 4034 §6.2 lowercases only some rdata names for DNSSEC, RFC 6840 §5.1); the canonical
 * form (DESIGN §4) is the same text in lowercase, which keys and comparisons use.
 */

/**
 * "WWW.Example.COM." -> "www.example.com"; "." -> "". Escapes are kept as written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalName } from "./mod.ts";
 *
 * assert.equal(canonicalName("WWW.Example.COM."), "www.example.com");
 * assert.equal(canonicalName("."), "");
 * assert.equal(canonicalName("a\\.B"), "a\\.b", "an escaped dot stays one label's");
 * ```
 */
export function canonicalName(text: string): string {
  const lower = text.toLowerCase();
  if (lower === "." || lower === "") return "";
  return lower.endsWith(".") && !lower.endsWith("\\.") ? lower.slice(0, -1) : lower;
}

/**
 * The fully qualified presentation form: "www.example" -> "www.example.", the root -> ".".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presentName } from "./mod.ts";
 *
 * assert.equal(presentName("www.example"), "www.example.");
 * assert.equal(presentName(""), ".");
 * ```
 */
export function presentName(name: string): string {
  return `${name}.`;
}

/**
 * Whether two names are the same name, whatever the case of their letters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSameName } from "./mod.ts";
 *
 * assert.equal(isSameName("WWW.example.com", "www.EXAMPLE.com"), true);
 * assert.equal(isSameName("www.example.com", "example.com"), false);
 * ```
 */
export function isSameName(a: string, b: string): boolean {
  // Names spelled alike (the common case) need no lowercased copies.
  return a === b || canonicalName(a) === canonicalName(b);
}

/**
 * True when `name` is `zone` or below it; the root zone "" contains every name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSubdomainOf } from "./mod.ts";
 *
 * assert.equal(isSubdomainOf("www.Example.com", "example.com"), true);
 * assert.equal(isSubdomainOf("example.com", "example.com"), true);
 * assert.equal(isSubdomainOf("notexample.com", "example.com"), false, "labels, not text");
 * assert.equal(isSubdomainOf("anything.test", ""), true);
 * ```
 */
export function isSubdomainOf(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  return z === "" || n === z || n.endsWith(`.${z}`);
}

/**
 * "a.b.c" -> ["a.b.c", "b.c", "c"]: the name and each of its parents, root excluded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parentNames } from "./mod.ts";
 *
 * assert.deepEqual(parentNames("Ads.Example.com"), ["ads.example.com", "example.com", "com"]);
 * assert.deepEqual(parentNames(""), []);
 * ```
 */
export function parentNames(name: string): string[] {
  const labels = splitLabels(canonicalName(name));
  return labels.map((_, index) => labels.slice(index).join("."));
}

/**
 * Splits a presentation name into labels, honouring `\.` escapes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitLabels } from "./mod.ts";
 *
 * assert.deepEqual(splitLabels("www.example.com"), ["www", "example", "com"]);
 * assert.deepEqual(splitLabels("a\\.b.c"), ["a\\.b", "c"]);
 * assert.deepEqual(splitLabels(""), [], "the root has no labels");
 * ```
 */
export function splitLabels(name: string): string[] {
  if (name === "") return [];
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "\\") i++;
    else if (name[i] === ".") {
      labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  labels.push(name.slice(start));
  return labels;
}

/**
 * Characters a zone file reads specially (RFC 1035 §5.1: label separator, escape, comment,
 * grouping, quoting, origin, directive): printed after a backslash, as BIND's tools do.
 */
const SPECIAL = new Set([...'.\\;()"@$'].map((char) => char.charCodeAt(0)));

/** The presentation text of each byte value in a label. */
const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  if (SPECIAL.has(byte)) return `\\${String.fromCharCode(byte)}`;
  if (byte > 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return `\\${byte.toString().padStart(3, "0")}`;
});

/** The same, with ASCII capitals as lowercase letters: the canonical form. */
const LOWER_BYTE_TEXT: readonly string[] = BYTE_TEXT.map((text, byte) =>
  byte >= 0x41 && byte <= 0x5a ? text.toLowerCase() : text
);

/**
 * The canonical presentation text of one label byte: itself, lowercase for an ASCII capital, or
 * its escape.
 */
export function canonicalByteText(byte: number): string {
  return LOWER_BYTE_TEXT[byte];
}

/** Presentation text of one label's bytes, escaped where needed; lowercase when `lower`. */
export function labelToText(bytes: Uint8Array, start: number, end: number, lower: boolean): string {
  const table = lower ? LOWER_BYTE_TEXT : BYTE_TEXT;
  let text = "";
  for (let i = start; i < end; i++) text += table[bytes[i]];
  return text;
}

/**
 * Wire bytes of one presentation label (escapes resolved), or undefined when an escape is
 * malformed or a character is not a single byte.
 */
export function labelToBytes(label: string): Uint8Array | undefined {
  const out: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const code = label.charCodeAt(i);
    if (code > 0x7e) return undefined;
    if (code !== 0x5c) {
      out.push(code);
      continue;
    }
    const digits = /^\d{3}/.exec(label.slice(i + 1, i + 4));
    if (digits) {
      const value = Number(digits[0]);
      if (value > 255) return undefined;
      out.push(value);
      i += 3;
    } else if (i + 1 < label.length) {
      const next = label.charCodeAt(i + 1);
      if (next > 0x7e) return undefined;
      out.push(next);
      i += 1;
    } else {
      return undefined;
    }
  }
  return Uint8Array.from(out);
}
