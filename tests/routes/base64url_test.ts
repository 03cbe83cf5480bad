/** The DoH GET parameter's decoder against the runtime's own (setFromBase64), on every kind of input. */
import assert from "node:assert/strict";
import { decodeBase64Url } from "../../routes/base64url.ts";

/** What the gateway did before: a strict pattern, then Uint8Array.prototype.setFromBase64. */
function reference(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, "");
  const bytes = new Uint8Array(Math.ceil(unpadded.length * 3 / 4));
  try {
    const { read, written } = bytes.setFromBase64(unpadded, { alphabet: "base64url" });
    return read === unpadded.length ? bytes.subarray(0, written) : undefined;
  } catch {
    return undefined;
  }
}

const same = (text: string) => {
  const ours = decodeBase64Url(text);
  const theirs = reference(text);
  assert.deepEqual(ours && [...ours], theirs && [...theirs], JSON.stringify(text));
  // In place, as the DoH fast path reads it out of the URL.
  const url = `/dns-query?x=1&dns=${text}&y=2`;
  const start = url.indexOf("dns=") + 4;
  const inPlace = decodeBase64Url(url, start, start + text.length);
  assert.deepEqual(inPlace && [...inPlace], theirs && [...theirs], `in place: ${text}`);
};

Deno.test("decodes what the runtime decodes, padded or not, and nothing else", () => {
  for (
    const text of [
      "",
      "A",
      "AA",
      "AAA",
      "AAAA",
      "AB",
      "AB==",
      "AB=",
      "ABC=",
      "ABCD=",
      "A===",
      "=",
      "==",
      "AA=A",
      "AA A",
      "AA\tA",
      "AA+/",
      "ab-_",
      "ÿÿÿÿ",
      "AAA\u0100",
      "AAAA\n",
    ]
  ) same(text);
});

Deno.test("agrees with the runtime on 20,000 random queries and mangled strings", () => {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ %é\u2028";
  for (let i = 0; i < 10_000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 80)));
    const padded = Math.random() < 0.3;
    const text = bytes.toBase64({ alphabet: "base64url", omitPadding: !padded });
    same(text);
    const at = Math.floor(Math.random() * (text.length + 1));
    const junk = chars[Math.floor(Math.random() * chars.length)];
    same(text.slice(0, at) + junk + text.slice(at + 1));
  }
});

Deno.test("a query decodes to its own bytes", () => {
  const query = new Uint8Array([
    0,
    0,
    1,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
    119,
    119,
    119,
    0,
    0,
    1,
    0,
    1,
  ]);
  const text = query.toBase64({ alphabet: "base64url", omitPadding: true });
  assert.deepEqual([...decodeBase64Url(text)!], [...query]);
});
