/**
 * The shape every record-type codec has: decode within the rdata window, encode into a
 * writer, and present as the text of a zone file (RFC 1035 §5.1, RFC 3597 §5), which is what
 * people and the JSON API read.
 */
import type { WireReader } from "../reader.ts";
import type { RData } from "../types.ts";
import type { WireWriter } from "../writer.ts";

export interface RdataCodec<T extends RData = RData> {
  /** Reads the rdata; `reader.limit` is the end of the rdata and must be reached exactly. */
  decode(reader: WireReader): T;
  encode(writer: WireWriter, data: T): void;
  /** The rdata in presentation format, on one line, names fully qualified ("mail.example."). */
  present(data: T): string;
}
