/** The shape every record-type codec has: decode within the rdata window, encode into a writer. */
import type { WireReader } from "../reader.ts";
import type { RData } from "../types.ts";
import type { WireWriter } from "../writer.ts";

export interface RdataCodec<T extends RData = RData> {
  /** Reads the rdata; `reader.limit` is the end of the rdata and must be reached exactly. */
  decode(reader: WireReader): T;
  encode(writer: WireWriter, data: T): void;
}
