/**
 * Domain entries as people type them (blocklists, the records file, admin edits): one name, or
 * `*.` and a name for its subdomains only, to its canonical form -- lowercase ASCII, no trailing
 * dot, IDNs as punycode -- or the reason it is not one. An IP literal is not a name.
 * Pure: no I/O, no Deno API.
 */

/** RFC 1035 §2.3.4: a name of at most 253 characters as text, labels of at most 63. */
export const MAX_NAME = 253;
export const MAX_LABEL = 63;

const IP_REASON = "an IP address, not a name";

const SPACE = 32, STAR = 42, DASH = 45, DOT = 46, ZERO = 48, NINE = 57, COLON = 58;
const UNDERSCORE = 95;

/**
 * The canonical form of one domain entry, or a reason why it is not one (used by the parser and
 * by admin edits). "WWW.Example.COM." -> "www.example.com", "*.Ads.example" -> "*.ads.example",
 * "bücher.example" -> "xn--bcher-kva.example", "10.0.0.1" -> an IP address, not a name.
 */
export function normalizeDomain(input: string): { name: string } | { reason: string } {
  let name = input.trim();
  if (name === "*" || name === "*.") return { reason: "a wildcard without a name" };
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "") return { reason: "an empty name" };
  if (!name.startsWith("*.")) return canonical(name);
  const rest = canonical(name.slice(2));
  return "name" in rest ? { name: `*.${rest.name}` } : rest;
}

/** What `scanName` found in a name that is fine as it is, needs lowercasing, or needs IDNA. */
const PLAIN = 0;
const UPPER = 1;
const UNICODE = 2;

function canonical(name: string): { name: string } | { reason: string } {
  const scan = scanName(name);
  if (scan === PLAIN) return { name };
  if (scan === UPPER) return { name: name.toLowerCase() };
  if (scan === UNICODE) return fromUnicode(name);
  return { reason: scan };
}

/** IDNA through the URL parser (which also lowercases and maps), then checked again. */
function fromUnicode(name: string): { name: string } | { reason: string } {
  let ascii: string;
  try {
    ascii = new URL(`http://${name}/`).hostname;
  } catch {
    return { reason: "not a valid international name" };
  }
  if (ascii.endsWith(".")) ascii = ascii.slice(0, -1);
  const scan = scanName(ascii);
  if (scan === PLAIN) return { name: ascii };
  return { reason: typeof scan === "string" ? scan : "not a valid international name" };
}

/**
 * One pass over a name (no trailing dot): PLAIN, UPPER, UNICODE (non-ASCII seen, ASCII parts
 * fine; lengths are checked after conversion) or the reason it is not a name.
 */
function scanName(name: string): typeof PLAIN | typeof UPPER | typeof UNICODE | string {
  let label = 0;
  let upper = false;
  let unicode = false;
  let numeric = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === DOT) {
      if (label === 0) return "an empty label";
      label = 0;
      continue;
    }
    label++;
    if (c >= 128) unicode = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c === COLON) return isIPv6(name) ? IP_REASON : "invalid character ':'";
    else if (c === STAR) return "a '*' other than a leading '*.'";
    else if (!isNameChar(c)) return `invalid character ${describe(c)}`;
    if (c < ZERO || c > NINE) numeric = false;
    if (label > MAX_LABEL && !unicode) return "a label longer than 63 characters";
  }
  if (label === 0) return "an empty label";
  if (unicode) return UNICODE;
  if (name.length > MAX_NAME) return "a name longer than 253 characters";
  if (numeric && isIPv4(name)) return IP_REASON;
  return upper ? UPPER : PLAIN;
}

function describe(c: number): string {
  if (c === SPACE) return "' ' (a space)";
  if (c < SPACE || c === 127) return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
  return `'${String.fromCharCode(c)}'`;
}

/** Any IPv4 or IPv6 literal, the latter with an optional zone (`fe80::1%lo0`). */
export function isIpLiteral(word: string): boolean {
  if (word.includes(":")) return isIPv6(word);
  const first = word.charCodeAt(0);
  return first >= ZERO && first <= NINE && isIPv4(word);
}

/** Dotted quad, each part 0-255 in at most three digits. */
function isIPv4(text: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= ZERO && c <= NINE) {
      value = value * 10 + c - ZERO;
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return parts === 3 && digits > 0;
}

/** RFC 4291 text form: eight hex groups, one `::` for a run of zeros, an IPv4 tail, a zone. */
function isIPv6(text: string): boolean {
  const percent = text.indexOf("%");
  if (percent === 0 || percent === text.length - 1) return false;
  const address = percent === -1 ? text : text.slice(0, percent);
  const gap = address.indexOf("::");
  if (gap !== -1 && address.indexOf("::", gap + 1) !== -1) return false;
  const sides = gap === -1 ? [address] : [address.slice(0, gap), address.slice(gap + 2)];
  let groups = 0;
  for (let s = 0; s < sides.length; s++) {
    if (sides[s] === "") continue;
    const pieces = sides[s].split(":");
    for (let p = 0; p < pieces.length; p++) {
      const last = s === sides.length - 1 && p === pieces.length - 1;
      if (last && pieces[p].includes(".")) {
        if (!isIPv4(pieces[p])) return false;
        groups += 2;
      } else if (isHexGroup(pieces[p])) groups++;
      else return false;
    }
  }
  return gap === -1 ? groups === 8 : groups <= 7;
}

function isHexGroup(piece: string): boolean {
  if (piece.length === 0 || piece.length > 4) return false;
  for (let i = 0; i < piece.length; i++) {
    const c = piece.charCodeAt(i);
    if (!((c >= ZERO && c <= NINE) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/** a-z, 0-9, "-" and "_": what a canonical label is made of. */
export function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= ZERO && c <= NINE) || c === DASH || c === UNDERSCORE;
}
