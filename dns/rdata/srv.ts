/**
 * SRV (RFC 2782).
 *
 *     | PRIORITY (16) | WEIGHT (16) | PORT (16) | TARGET (domain-name, not compressed) |
 */
import { presentName } from "../name.ts";
import type { SrvData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const srvCodec: RdataCodec<SrvData> = {
  decode: (reader) => ({
    priority: reader.u16(),
    weight: reader.u16(),
    port: reader.u16(),
    target: reader.name(),
  }),
  encode(writer, data) {
    writer.u16(data.priority);
    writer.u16(data.weight);
    writer.u16(data.port);
    writer.name(data.target, false);
  },
  present: (data) => `${data.priority} ${data.weight} ${data.port} ${presentName(data.target)}`,
};
