/**
 * CAA (RFC 8659 §4.1).
 *
 *     | FLAGS (8) | TAG LENGTH (8) | TAG (1-15 ASCII letters/digits) | VALUE (rest) |
 */
import { DnsWireError } from "../errors.ts";
import type { CaaData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";
import { quoteString } from "./txt.ts";

const TAG = /^[A-Za-z0-9]{1,15}$/;

export const caaCodec: RdataCodec<CaaData> = {
  decode(reader) {
    const flags = reader.u8();
    const at = reader.offset;
    const tag = new TextDecoder().decode(reader.take(reader.u8(), "CAA tag"));
    if (!TAG.test(tag)) throw new DnsWireError("CAA tag must be 1-15 letters or digits", at);
    return { flags, tag, value: reader.rest() };
  },
  encode(writer, data) {
    if (!TAG.test(data.tag)) {
      throw new DnsWireError(
        `CAA tag must be 1-15 letters or digits: "${data.tag}"`,
        writer.length,
      );
    }
    writer.u8(data.flags);
    writer.characterString(new TextEncoder().encode(data.tag));
    writer.bytes(data.value);
  },
  /** RFC 8659 §4.1.1: `<flags> <tag> "<value>"`. */
  present: (data) => `${data.flags} ${data.tag} ${quoteString(data.value)}`,
};
