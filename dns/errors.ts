/**
 * The one error the wire codec throws. Anything malformed in a DNS message surfaces as a
 * `DnsWireError` carrying the byte offset where decoding gave up, so doors can answer
 * FORMERR / HTTP 400 with a precise one-line reason and nothing else ever escapes the decoder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeMessage, DnsWireError } from "./mod.ts";
 *
 * assert.throws(() => decodeMessage(new Uint8Array(5)), (error) => {
 *   assert.ok(error instanceof DnsWireError);
 *   assert.ok(error instanceof SyntaxError, "what a caller that knows no DNS catches");
 *   assert.equal(error.offset, 0);
 *   assert.equal(error.message, "truncated header: need 12 bytes, 5 left at byte 0");
 *   return true;
 * });
 * ```
 */
export class DnsWireError extends SyntaxError {
  /** Byte offset in the message where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "DnsWireError";
    this.offset = offset;
  }
}
