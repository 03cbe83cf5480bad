/**
 * A list's content id: tells a reload whether the text changed since the store last loaded it.
 * SHA-256 over pieces of the text, then over the pieces' digests, so hashing a big list (a
 * million lines) is a series of short steps rather than one stall of every query (encoding
 * included), as blocklist/slices.ts asks of all long work.
 */

/** Characters per piece; a piece never ends between the two halves of a surrogate pair. */
const PIECE = 1 << 20;
const DIGEST_BYTES = 32;

export async function contentId(text: string): Promise<string> {
  const encoder = new TextEncoder();
  const digests: Uint8Array[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + PIECE, text.length);
    if (isHighSurrogate(text.charCodeAt(end - 1)) && end < text.length) end++;
    const piece = encoder.encode(text.slice(start, end));
    digests.push(new Uint8Array(await crypto.subtle.digest("SHA-256", piece)));
    start = end;
  }
  const all = new Uint8Array(digests.length * DIGEST_BYTES);
  digests.forEach((digest, i) => all.set(digest, i * DIGEST_BYTES));
  const hash = await crypto.subtle.digest("SHA-256", all);
  return new Uint8Array(hash).subarray(0, 12).toBase64();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
