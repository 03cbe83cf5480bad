/** The Extended DNS Error (RFC 8914) a reply carries, if any: what tests check blocks and stale answers by. */
import {
  decodeExtendedError,
  EdnsOptionCode,
  type ExtendedError,
  findOption,
  type Message,
} from "../../dns/mod.ts";

export function extendedError(reply: Message): ExtendedError | undefined {
  const option = reply.edns && findOption(reply.edns, EdnsOptionCode.EXTENDED_ERROR);
  return option && decodeExtendedError(option.data);
}
