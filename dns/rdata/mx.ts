/**
 * MX (RFC 1035 §3.3.9).
 *
 *     | PREFERENCE (16) | EXCHANGE (domain-name, compressible) |
 */
import { presentName } from "../name.ts";
import type { MxData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const mxCodec: RdataCodec<MxData> = {
  decode: (reader) => ({ preference: reader.u16(), exchange: reader.name() }),
  encode(writer, data) {
    writer.u16(data.preference);
    writer.name(data.exchange, true);
  },
  present: (data) => `${data.preference} ${presentName(data.exchange)}`,
};
