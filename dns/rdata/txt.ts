/**
 * TXT (RFC 1035 §3.3.14): one or more character-strings, each a length octet and up to 255
 * bytes. Kept as bytes, since they need not be text.
 *
 *     | LEN | TXT-DATA … | LEN | TXT-DATA … | …
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
};
