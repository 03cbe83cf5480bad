/**
 * SOA (RFC 1035 §3.3.13).
 *
 *     | MNAME | RNAME | SERIAL (32) | REFRESH (32) | RETRY (32) | EXPIRE (32) | MINIMUM (32) |
 *
 * MINIMUM is the negative-caching TTL (RFC 2308 §4).
 */
import { presentName } from "../name.ts";
import type { SoaData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const soaCodec: RdataCodec<SoaData> = {
  decode: (reader) => ({
    mname: reader.name(),
    rname: reader.name(),
    serial: reader.u32(),
    refresh: reader.u32(),
    retry: reader.u32(),
    expire: reader.u32(),
    minimum: reader.u32(),
  }),
  encode(writer, data) {
    writer.name(data.mname, true);
    writer.name(data.rname, true);
    writer.u32(data.serial);
    writer.u32(data.refresh);
    writer.u32(data.retry);
    writer.u32(data.expire);
    writer.u32(data.minimum);
  },
  present: (data) =>
    `${presentName(data.mname)} ${presentName(data.rname)} ${data.serial} ${data.refresh} ` +
    `${data.retry} ${data.expire} ${data.minimum}`,
};
