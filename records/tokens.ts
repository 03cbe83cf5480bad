/**
 * One line of a records file as tokens that remember their column, so every mistake can be
 * pointed at (`line 4, column 17: ...`). Tokens are split on blanks; `"..."` quotes a token that
 * holds blanks or comment characters; `#` and `;` outside quotes start a comment (hosts files
 * use the one, zone files the other).
 */

/** A mistake in a records file, at a line and column (both from 1). */
export class RecordsSyntaxError extends SyntaxError {
  readonly line: number;
  readonly column: number;
  /** The mistake without its position. */
  readonly reason: string;

  constructor(reason: string, line: number, column: number) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = "RecordsSyntaxError";
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** A mistake in one line, before the line number is known: the parser adds it. */
export class LineError extends Error {
  readonly column: number;

  constructor(reason: string, column: number) {
    super(reason);
    this.name = "LineError";
    this.column = column;
  }
}

export interface Token {
  /** The token's text, without its quotes; escapes are left as written. */
  text: string;
  /** Column of the token's first character (its opening quote, when quoted), from 1. */
  column: number;
  quoted: boolean;
}

const BLANK = /[ \t\r]/;

export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < line.length) {
    const char = line[at];
    if (BLANK.test(char)) {
      at++;
    } else if (char === "#" || char === ";") {
      break;
    } else if (char === '"') {
      const end = closingQuote(line, at + 1);
      if (end === -1) throw new LineError("a quote that is never closed", at + 1);
      tokens.push({ text: line.slice(at + 1, end), column: at + 1, quoted: true });
      at = end + 1;
    } else {
      const start = at;
      while (at < line.length && !BLANK.test(line[at]) && !'#;"'.includes(line[at])) at++;
      tokens.push({ text: line.slice(start, at), column: start + 1, quoted: false });
    }
  }
  return tokens;
}

/** Index of the quote closing a string opened before `from`, skipping `\"`; -1 when none. */
function closingQuote(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === "\\") i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}

/**
 * A token as a character-string (RFC 1035 §5.1): `\X` is X, `\DDD` the byte DDD, other
 * characters their UTF-8 bytes; at most 255 bytes.
 */
export function characterString(token: Token): Uint8Array {
  const out: number[] = [];
  const { text } = token;
  const column = (i: number) => token.column + (token.quoted ? 1 : 0) + i;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\") {
      const code = text.codePointAt(i)!;
      if (code > 0xffff) i++;
      out.push(...new TextEncoder().encode(String.fromCodePoint(code)));
      continue;
    }
    const digits = /^\d{3}/.exec(text.slice(i + 1));
    if (digits) {
      if (Number(digits[0]) > 255) throw new LineError(`\\${digits[0]} is not a byte`, column(i));
      out.push(Number(digits[0]));
      i += 3;
    } else if (i + 1 < text.length) {
      out.push(...new TextEncoder().encode(text[++i]));
    } else {
      throw new LineError("a backslash at the end of a string", column(i));
    }
  }
  if (out.length > 255) {
    throw new LineError(`a string of ${out.length} bytes: at most 255 fit in one`, token.column);
  }
  return Uint8Array.from(out);
}
