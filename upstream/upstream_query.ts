/**
 * The query the gateway sends upstream on the client's behalf: a fresh header (ID set by the
 * transport), the client's question with its name in lowercase, opcode and RD/AD/CD bits,
 * our EDNS size and the client's DO bit, and none of the client's cookie, padding or (unless
 * configured) client-subnet options.
 *
 * Most queries (one question and at most an OPT with no option that would be passed on) are
 * built straight from the client's bytes: a miss does not pay for decoding the query and
 * encoding a new message (`deno task bench:all`, miss rows: server CPU per query). The two ways
 * give the same bytes (tests/upstream/upstream_query_test.ts compares them on random queries).
 */
import {
  canonicalName,
  EdnsOptionCode,
  encodeMessage,
  HOP_BY_HOP_OPTIONS,
  type Message,
  type QueryHead,
  queryWithOwnOpt,
  questionCount,
} from "../dns/mod.ts";
import type { QueryContext } from "../pipeline/types.ts";

/** RFC 9715 / DNS Flag Day 2020: a UDP payload size that avoids IP fragmentation. */
export const UPSTREAM_UDP_SIZE = 1232;

/** The upstream query's wire bytes. */
export function upstreamQueryBytes(
  ctx: Pick<QueryContext, "raw" | "head" | "query">,
  forwardClientSubnet: boolean,
): Uint8Array {
  return fromClientBytes(ctx.raw, ctx.head, forwardClientSubnet) ??
    encodeMessage(upstreamQuery(ctx.query, forwardClientSubnet));
}

/** The query the gateway sends upstream on the client's behalf (ID set by the transport). */
export function upstreamQuery(query: Message, forwardClientSubnet: boolean): Message {
  const question = query.questions[0];
  const options = (query.edns?.options ?? []).filter((option) =>
    !HOP_BY_HOP_OPTIONS.has(option.code) &&
    (forwardClientSubnet || option.code !== EdnsOptionCode.CLIENT_SUBNET)
  );
  return {
    header: {
      id: 0,
      response: false,
      opcode: query.header.opcode,
      authoritative: false,
      truncated: false,
      recursionDesired: query.header.recursionDesired,
      recursionAvailable: false,
      zero: false,
      authenticData: query.header.authenticData,
      checkingDisabled: query.header.checkingDisabled,
      rcode: 0,
    },
    questions: [{ ...question, name: canonicalName(question.name) }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: {
      udpSize: UPSTREAM_UDP_SIZE,
      version: 0,
      dnssecOk: query.edns?.dnssecOk ?? false,
      flags: 0,
      options,
    },
  };
}

/**
 * The upstream query made from the client's bytes, or undefined when it is not in the common
 * shape: one uncompressed question right after the header, then at most an OPT whose options
 * would all be dropped. The name is lowercased as upstreamQuery does (ASCII letters only).
 */
function fromClientBytes(
  raw: Uint8Array,
  head: QueryHead,
  forwardClientSubnet: boolean,
): Uint8Array | undefined {
  const edns = head.edns;
  if (head.questionCount !== 1 || questionCount(raw) !== 1) return undefined;
  if (edns !== undefined && (edns.otherOptions || (forwardClientSubnet && edns.clientSubnet))) {
    return undefined;
  }
  return queryWithOwnOpt(raw, UPSTREAM_UDP_SIZE, edns?.dnssecOk ?? false);
}
