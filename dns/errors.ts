/**
 * The one error the wire codec throws. Anything malformed in a DNS message surfaces as a
 * `DnsWireError` carrying the byte offset where decoding gave up, so doors can answer
 * FORMERR / HTTP 400 with a precise one-line reason and nothing else ever escapes the decoder.
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
