/**
 * TXT (RFC 1035 §3.3.14): one or more character-strings, each a length octet and up to 255
 * bytes. Kept as bytes, since they need not be text.
 *
 *     | LEN | TXT-DATA ... | LEN | TXT-DATA ... | ...
 */
import { DnsWireError } from "../errors.ts";
import type { TxtData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const txtCodec: RdataCodec<TxtData> = {
  decode(reader) {
    if (reader.remaining === 0) throw new DnsWireError("TXT rdata is empty", reader.offset);
    const strings: Uint8Array[] = [];
    while (reader.remaining > 0) strings.push(reader.take(reader.u8(), "TXT string"));
    return { strings };
  },
  encode(writer, data) {
    if (data.strings.length === 0) {
      throw new DnsWireError("TXT needs at least one string", writer.length);
    }
    for (const text of data.strings) writer.characterString(text);
  },
  present: (data) => data.strings.map(quoteString).join(" "),
};

/**
 * A character-string in presentation format (RFC 1035 §5.1): in double quotes, with `"` and
 * `\` escaped by a backslash and bytes outside printable ASCII as `\DDD`.
 */
export function quoteString(bytes: Uint8Array): string {
  let text = '"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString().padStart(3, "0")}`;
  }
  return `${text}"`;
}
