/**
 * Domain names in their one canonical form (DESIGN §4): lowercase ASCII, no trailing dot, the
 * root as "". Label bytes that are not printable ASCII, and "." or "\" inside a label, are
 * written as RFC 1035 escapes (`\046`, `\\`) so every name survives a round trip.
 */

/** "WWW.Example.COM." → "www.example.com"; "." → "". Escapes are kept as written. */
export function canonicalName(text: string): string {
  const lower = text.toLowerCase();
  if (lower === "." || lower === "") return "";
  return lower.endsWith(".") && !lower.endsWith("\\.") ? lower.slice(0, -1) : lower;
}

/** The fully qualified presentation form: "www.example" → "www.example.", the root → ".". */
export function presentName(name: string): string {
  return `${name}.`;
}

export function isSameName(a: string, b: string): boolean {
  // Names read off the wire are canonical already: equal ones need no lowercased copies.
  return a === b || canonicalName(a) === canonicalName(b);
}

/** True when `name` is `zone` or below it; the root zone "" contains every name. */
export function isSubdomainOf(name: string, zone: string): boolean {
  const n = canonicalName(name);
  const z = canonicalName(zone);
  return z === "" || n === z || n.endsWith(`.${z}`);
}

/** "a.b.c" → ["a.b.c", "b.c", "c"]: the name and each of its parents, root excluded. */
export function parentNames(name: string): string[] {
  const labels = splitLabels(canonicalName(name));
  return labels.map((_, index) => labels.slice(index).join("."));
}

/** Splits a presentation name into labels, honouring `\.` escapes. */
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

/** Presentation text of one label's bytes: lowercase, escaped where needed. */
export function labelToText(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) {
    let byte = bytes[i];
    if (byte >= 0x41 && byte <= 0x5a) byte |= 0x20;
    if (byte === 0x2e || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte > 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString().padStart(3, "0")}`;
  }
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
