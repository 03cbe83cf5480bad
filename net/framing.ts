/**
 * RFC 1035 §4.2.2 / RFC 7766 §8: over TCP and TLS every DNS message is preceded by its length
 * as two bytes, big-endian. Reading must cope with frames split across reads and several
 * frames in one read.
 */

/** The length prefix followed by the message. */
export function frame(message: Uint8Array): Uint8Array<ArrayBuffer> {
  if (message.length > 0xffff) throw new RangeError("a DNS message is at most 65535 bytes");
  const framed = new Uint8Array(message.length + 2);
  framed[0] = message.length >> 8;
  framed[1] = message.length & 0xff;
  framed.set(message, 2);
  return framed;
}

/** The one method of `Deno.Conn` that reading needs (so tests can feed bytes). */
export interface ByteSource {
  read(buffer: Uint8Array): Promise<number | null>;
}

/** The one method of `Deno.Conn` that writing needs. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

/** Reads whole messages off a connection, one at a time. */
export class FrameReader {
  #reader: ByteSource;
  #buffer: Uint8Array = new Uint8Array(0);
  #chunk = new Uint8Array(16 * 1024);

  constructor(reader: ByteSource) {
    this.#reader = reader;
  }

  /** The next message, or null when the peer closed the connection (mid-frame too). */
  async next(): Promise<Uint8Array<ArrayBuffer> | null> {
    if (!(await this.#fill(2))) return null;
    const length = (this.#buffer[0] << 8) | this.#buffer[1];
    if (!(await this.#fill(2 + length))) return null;
    const message = this.#buffer.slice(2, 2 + length);
    this.#buffer = this.#buffer.subarray(2 + length);
    return message;
  }

  async #fill(size: number): Promise<boolean> {
    while (this.#buffer.length < size) {
      const count = await this.#reader.read(this.#chunk);
      if (count === null) return false;
      const grown = new Uint8Array(this.#buffer.length + count);
      grown.set(this.#buffer);
      grown.set(this.#chunk.subarray(0, count), this.#buffer.length);
      this.#buffer = grown;
    }
    return true;
  }
}

/** Writes all of `bytes` (a single write may take only part). */
export async function writeAll(writer: ByteSink, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await writer.write(bytes.subarray(offset));
}
