/**
 * A list's content id: tells a reload whether the text changed since the store last loaded it.
 * SHA-256 over pieces of the text, then over the pieces' digests, so hashing a big list (a
 * million lines) is a series of short steps rather than one stall of every query (encoding
 * included), as blocklist/slices.ts asks of all long work.
 */

/**
 * Characters (or bytes) per piece; a piece of text never ends between the two halves of a
 * surrogate pair. An ASCII text and its bytes have the same id.
 */
const PIECE = 1 << 20;
const DIGEST_BYTES = 32;

export async function contentId(content: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const encoder = new TextEncoder();
  const digests: Uint8Array[] = [];
  for (let start = 0; start < content.length;) {
    let end = Math.min(start + PIECE, content.length);
    let piece: Uint8Array<ArrayBuffer>;
    if (typeof content === "string") {
      if (isHighSurrogate(content.charCodeAt(end - 1)) && end < content.length) end++;
      piece = encoder.encode(content.slice(start, end));
    } else piece = content.subarray(start, end);
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
