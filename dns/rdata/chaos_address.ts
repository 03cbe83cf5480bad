/**
 * A in the Chaos class (CH, RFC 1035 §3.2.4): not an IPv4 address but a domain name and a
 * 16-bit Chaosnet address, as BIND reads and writes it (lib/dns/rdata/ch_3/a_1.c).
 *
 *     | DOMAIN (domain-name) | ADDRESS (16, written in octal) |
 *
 * The name may come compressed and is read through its pointers; it is written whole, since
 * RFC 3597 §4 forbids compressing names in rdata of class-specific types.
 */
import { presentName } from "../name.ts";
import type { ChaosAddressData } from "../types.ts";
import type { RdataCodec } from "./codec.ts";

export const chaosAddressCodec: RdataCodec<ChaosAddressData> = {
  decode: (reader) => ({ domain: reader.name(), address: reader.u16("Chaos address") }),
  encode(writer, data) {
    writer.name(data.domain, false);
    writer.u16(data.address);
  },
  present: (data) => `${presentName(data.domain)} ${data.address.toString(8)}`,
};
