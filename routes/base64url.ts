/**
 * RFC 8484 §4.1: the `dns` parameter of a DoH GET is base64url without padding; padding is
 * tolerated, anything else is not (no other characters, no whitespace, no "=" but at the end,
 * and no lone character at the end). Decoded here rather than with Uint8Array's
 * setFromBase64: for a typical query's 43 characters, what a call costs there (the options
 * and result objects, the call into the runtime) outweighs the decoding done here (`deno task
 * bench:all`, cached GET rows). Leftover bits of the last character are ignored, as
 * setFromBase64 does by default (a test holds the two to the same results).
 */
import { transientBytes } from "../dns/mod.ts";

/** Six bits by character code, -1 for none; codes past 127 are checked before. */
const SEXTETS = new Int8Array(128).fill(-1);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;

const EQUALS = 0x3d;

/**
 * The bytes `text` (from `start` to `end`) encodes, or undefined when it is not base64url.
 * Decoded into transient bytes (dns/transient.ts): the query lives as long as its request.
 * The DoH fast path decodes the parameter where it lies in the URL, without slicing it out.
 */
export function decodeBase64Url(
  text: string,
  start = 0,
  end = text.length,
): Uint8Array | undefined {
  if (end > start && text.charCodeAt(end - 1) === EQUALS) end--;
  if (end > start && text.charCodeAt(end - 1) === EQUALS) end--;
  const length = end - start;
  const tail = length & 3;
  if (tail === 1) return undefined;
  const bytes = transientBytes((length >> 2) * 3 + (tail === 0 ? 0 : tail - 1));
  let out = 0;
  let at = start;
  for (; at + 4 <= end; at += 4) {
    const bits = (sextet(text, at) << 18) | (sextet(text, at + 1) << 12) |
      (sextet(text, at + 2) << 6) | sextet(text, at + 3);
    if (bits < 0) return undefined;
    bytes[out++] = bits >> 16;
    bytes[out++] = bits >> 8;
    bytes[out++] = bits;
  }
  if (tail > 0) {
    const third = tail === 3 ? sextet(text, at + 2) : 0;
    const bits = (sextet(text, at) << 18) | (sextet(text, at + 1) << 12) | (third << 6);
    if (bits < 0) return undefined;
    bytes[out++] = bits >> 16;
    if (tail === 3) bytes[out++] = bits >> 8;
  }
  return bytes;
}

/** The six bits of the character at `at`; any invalid one makes the word they build negative. */
function sextet(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code < 128 ? SEXTETS[code] : -1;
}
