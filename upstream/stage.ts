/**
 * The forward stage: the last stage of the chain. It asks the upstream pool (a forward zone's
 * when one holds the name, the default one otherwise) with a query of its own making (fresh
 * header, our EDNS size, the client's DO/CD/AD bits, and none of the client's cookie, padding
 * or — unless configured — client-subnet options) and turns the pool giving up into SERVFAIL
 * with an Extended DNS Error, within the query's budget.
 */
import { EdeCode, EdnsOptionCode, encodeMessage, type Message, Rcode } from "../dns/mod.ts";
import { answerFromBytes, replyAnswer } from "../pipeline/answer.ts";
import type { Stage } from "../pipeline/types.ts";
import type { UpstreamPool } from "./pool.ts";

/** RFC 9715 / DNS Flag Day 2020: a UDP payload size that avoids IP fragmentation. */
export const UPSTREAM_UDP_SIZE = 1232;

export interface ForwardOptions {
  /** The default upstreams (UPSTREAMS). */
  pool: Pick<UpstreamPool, "resolve">;
  /** Conditional forwarding: the pool of the forward zone holding a name, if one does. */
  route?: (name: string) => Pick<UpstreamPool, "resolve"> | undefined;
  /** Pass the client's EDNS client-subnet option on (off by default, for privacy). */
  forwardClientSubnet: boolean;
}

export function forwardStage(options: ForwardOptions): Stage {
  return async (ctx) => {
    const query = encodeMessage(upstreamQuery(ctx.query, options.forwardClientSubnet));
    try {
      const pool = options.route?.(ctx.question.name) ?? options.pool;
      const reply = await pool.resolve(query, ctx.signal);
      ctx.log.upstream = reply.upstream;
      return answerFromBytes(reply.bytes, "upstream");
    } catch (error) {
      ctx.log.error = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
      const ede = { infoCode: EdeCode.NO_REACHABLE_AUTHORITY, text: "no upstream answered" };
      return replyAnswer(ctx.query, { rcode: Rcode.SERVFAIL, ede }, "error");
    }
  };
}

/** Options a client addresses to us, never to be passed upstream. */
const HOP_BY_HOP_OPTIONS: ReadonlySet<number> = new Set([
  EdnsOptionCode.COOKIE,
  EdnsOptionCode.PADDING,
  EdnsOptionCode.EXTENDED_ERROR,
]);

/** The query the gateway sends upstream on the client's behalf (ID set by the transport). */
export function upstreamQuery(query: Message, forwardClientSubnet: boolean): Message {
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
    questions: [query.questions[0]],
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
