/**
 * The wire codec (DESIGN §4): pure functions over bytes -- no I/O, no Deno APIs, no Hono.
 * The one barrel file of the project.
 */
export * from "./constants.ts";
export * from "./errors.ts";
export type * from "./types.ts";
export { decodeMessage, encodeMessage, type EncodeOptions } from "./message.ts";
export { aliasTargets } from "./aliases.ts";
export {
  additionalCount,
  answerAddresses,
  answerCount,
  checkRecords,
  clientSubnetScope,
  copyQuestionSpelling,
  decrementAdditionalCount,
  hasHeader,
  hasQuestion,
  headerRcode,
  headOf,
  isResponse,
  isTruncated,
  messageId,
  peekQuery,
  peekQuestion,
  type QueryEdns,
  type QueryHead,
  queryWithOwnOpt,
  questionCount,
  questionNameEnd,
  type QuestionView,
  type RecordScan,
  recursionDesired,
  sameQuestion,
  scanRecords,
  setId,
  setIdAt,
  setTtlAt,
  trailingOptOffset,
  ttlAt,
  withId,
  withoutOpt,
  withPaddedOpt,
} from "./view.ts";
export { transientBytes, transientCopy, TransientSlab } from "./transient.ts";
export {
  canonicalName,
  isSameName,
  isSubdomainOf,
  parentNames,
  presentName,
  splitLabels,
} from "./name.ts";
export { presentRdata } from "./rdata/registry.ts";
export { addressText, formatIpv6, parseIpv4, parseIpv6 } from "./rdata/address.ts";
export {
  buildReply,
  encodeReply,
  encodeReplyTo,
  REPLY_UDP_SIZE,
  type ReplyInit,
} from "./builders.ts";
export { MIN_UDP_SIZE, truncateAnswer, udpPayloadLimit } from "./truncate.ts";
export {
  type ClientSubnet,
  decodeClientSubnet,
  decodeExtendedError,
  encodeClientSubnet,
  encodeExtendedError,
  type ExtendedError,
  findOption,
  withoutOption,
} from "./edns.ts";
