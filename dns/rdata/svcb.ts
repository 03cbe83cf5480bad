/**
 * SVCB (type 64) and HTTPS (type 65), RFC 9460 §2.2.
 *
 *     | SvcPriority (16) | TargetName (domain-name, not compressed) | SvcParams … |
 *     SvcParam: | SvcParamKey (16) | SvcParamValue length (16) | SvcParamValue |
 *
 * Parameters are kept as key + opaque value in wire order so every one round-trips; the
 * presentation module knows how to print the common keys.
 */
import { DnsWireError } from "../errors.ts";
import type { SvcbData, SvcParam } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const svcbCodec: RdataCodec<SvcbData> = {
  decode(reader) {
    const priority = reader.u16();
    const target = reader.name();
    const params: SvcParam[] = [];
    while (reader.remaining > 0) {
      const key = reader.u16("SvcParamKey");
      const length = reader.u16("SvcParam length");
      params.push({ key, value: reader.take(length, "SvcParam value") });
    }
    return { priority, target, params };
  },
  encode(writer, data) {
    writer.u16(data.priority);
    writer.name(data.target, false);
    for (const param of data.params) {
      if (param.value.length > 0xffff) {
        throw new DnsWireError("SvcParam value longer than 65535 bytes", writer.length);
      }
      writer.u16(param.key);
      writer.u16(param.value.length);
      writer.bytes(param.value);
    }
  },
};
